//! STIX patterning against the OASIS reference: every vector of the
//! `stix2-matcher` and `stix2-patterns` test suites (v2.1), collected by
//! running those suites (`pattern_vectors.py`), must come out the same here:
//! match, no match, or an error of the same kind; valid or invalid.

use std::path::Path;
use std::process::Command;

use rampart_stix::pattern::{Observations, Pattern};
use serde_json::Value;

/// Collected once per test run, for all the tests here.
fn vectors() -> Option<Value> {
    static VECTORS: std::sync::OnceLock<Option<Value>> = std::sync::OnceLock::new();
    VECTORS.get_or_init(collect_vectors).clone()
}

fn collect_vectors() -> Option<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/pattern_vectors.py");
    let out = std::env::temp_dir().join(format!("rampart-pattern-vectors-{}.json", std::process::id()));
    let run = Command::new("python3").arg(&script).arg(&out).output();
    let required = std::env::var("RAMPART_ORACLES").as_deref() == Ok("1");
    match run {
        Ok(run) if run.status.success() => {
            let vectors = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
            let _ = std::fs::remove_file(&out);
            Some(vectors)
        }
        Ok(run) if required => panic!(
            "collecting the reference vectors failed (pip install stix2-matcher stix2-patterns pytest):\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        ),
        Err(e) if required => panic!("python3 is needed for the reference vectors: {e}"),
        _ => {
            eprintln!("SKIPPED the STIX patterning vectors: pip install stix2-matcher stix2-patterns pytest");
            None
        }
    }
}

/// What Rampart makes of one matcher vector, in the reference's words.
fn outcome(pattern: &str, observations: &Value) -> (String, Vec<String>) {
    let pattern = match Pattern::parse(pattern) {
        Ok(p) => p,
        Err(_) => return ("parse_error".into(), Vec::new()),
    };
    let observations = match Observations::from_json(observations) {
        Ok(o) => o,
        Err(_) => return ("match_error".into(), Vec::new()),
    };
    match pattern.compile().and_then(|c| c.matches(&observations)) {
        Ok(Some(mut ids)) => {
            ids.sort();
            ("match".into(), ids)
        }
        Ok(None) => ("no_match".into(), Vec::new()),
        Err(_) => ("match_error".into(), Vec::new()),
    }
}

#[test]
fn the_reference_vectors_come_out_the_same() {
    let Some(vectors) = vectors() else { return };
    let matches = vectors["matches"].as_array().unwrap();
    let validations = vectors["validations"].as_array().unwrap();
    assert!(
        matches.len() > 350 && validations.len() > 80,
        "{} matcher and {} validator vectors: fewer than the suites hold",
        matches.len(),
        validations.len()
    );

    let mut wrong = Vec::new();
    for case in matches {
        let pattern = case["pattern"].as_str().unwrap();
        // The suites pass observations as a list of bundles.
        let (found, ids) = outcome(pattern, &case["observations"]);
        let expected = case["outcome"].as_str().unwrap();
        if found != expected {
            wrong.push(format!(
                "{pattern}\n    reference: {expected}, Rampart: {found}  ({})",
                case["test"].as_str().unwrap()
            ));
        } else if case["test"].as_str().unwrap().contains("test_matching_sdos") {
            let expected_ids: Vec<String> =
                case["matched"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            if ids != expected_ids {
                wrong.push(format!("{pattern}\n    reference bound {expected_ids:?}, Rampart {ids:?}"));
            }
        }
    }
    for case in validations {
        let pattern = case["pattern"].as_str().unwrap();
        let valid = Pattern::validate(pattern);
        if valid.is_ok() != case["valid"].as_bool().unwrap() {
            wrong.push(format!("{pattern}\n    reference valid: {}, Rampart: {valid:?}", case["valid"]));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} vectors differ:\n{}",
        wrong.len(),
        matches.len() + validations.len(),
        wrong.join("\n")
    );
    eprintln!(
        "{} matcher and {} validator vectors agree; left out as failing in the reference suites themselves: {:?}",
        matches.len(),
        validations.len(),
        vectors["left_out"]
    );
}

/// The index answers what matching each pattern alone answers: on every set
/// of observations in the vectors, with all the patterns used on it at once.
#[test]
fn the_index_agrees_with_matching_one_by_one_on_the_vectors() {
    use rampart_stix::pattern::IndexBuilder;
    let Some(vectors) = vectors() else { return };
    let mut groups: std::collections::BTreeMap<String, (Value, Vec<String>)> = std::collections::BTreeMap::new();
    for case in vectors["matches"].as_array().unwrap() {
        let key = case["observations"].to_string();
        let entry = groups.entry(key).or_insert_with(|| (case["observations"].clone(), Vec::new()));
        entry.1.push(case["pattern"].as_str().unwrap().to_string());
    }
    let mut compared = 0;
    for (observations, patterns) in groups.values() {
        let Ok(observations) = Observations::from_json(observations) else { continue };
        let mut builder = IndexBuilder::new(false);
        let mut expected = Vec::new();
        for text in patterns {
            let Ok(pattern) = Pattern::parse(text) else { continue };
            let Ok(Ok(one)) = pattern.compile().map(|c| c.is_match(&observations)) else { continue };
            builder.add(&pattern).unwrap();
            expected.push((text, one));
        }
        let Ok(found) = builder.build().unwrap().match_observations(&observations) else { continue };
        for ((text, one), indexed) in expected.iter().zip(found) {
            assert_eq!(indexed, *one, "{text}");
            compared += 1;
        }
    }
    assert!(compared > 300, "only {compared} patterns compared");
}
