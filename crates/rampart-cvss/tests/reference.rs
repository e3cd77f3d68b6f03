//! Every vector of the reference data (`../shared/data/cvss`) scores exactly as
//! the reference calculator says.

use std::path::PathBuf;

use rampart_cvss::Vector;

fn data(name: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cvss").join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!("SKIPPED cvss reference {name}: {} is absent", path.display());
            None
        }
    }
}

/// Lines look like `VECTOR - (9.2,)`, `VECTOR - 7.3` or `VECTOR - 10.0 Critical`.
fn check(name: &str) -> usize {
    let Some(text) = data(name) else { return 0 };
    let mut mismatches = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (vector, expected) = line.split_once(" - ").unwrap_or_else(|| panic!("unreadable line {line:?}"));
        let expected = expected.trim().trim_start_matches('(').trim_end_matches(')').trim_end_matches(',');
        let mut parts = expected.split_whitespace();
        let score: f64 = parts.next().unwrap().parse().unwrap();
        let severity = parts.next();
        let parsed = Vector::parse(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
        let got = parsed.score();
        if got != score || severity.is_some_and(|s| s != parsed.severity().as_str()) {
            mismatches.push(format!("{vector}: expected {expected}, got {got} {}", parsed.severity()));
        }
        count += 1;
    }
    assert!(
        mismatches.is_empty(),
        "{} of {count} vectors differ, first: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    count
}

#[test]
fn all_base_vectors_score_exactly() {
    let n = check("vectors_base4_all");
    assert!(n == 0 || n == 104_976, "{n} vectors");
}

#[test]
fn simple_vectors_score_exactly() {
    check("vectors_simple4");
}

#[test]
fn threat_vectors_score_exactly() {
    check("vectors_threat4");
}

#[test]
fn environmental_security_vectors_score_exactly() {
    check("vectors_security4");
}

#[test]
fn supplemental_vectors_score_exactly() {
    check("vectors_supplemental4");
}
