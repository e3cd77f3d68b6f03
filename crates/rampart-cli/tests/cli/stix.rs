//! `rampart stix match`, side by side with the OASIS `stix2-matcher`
//! command it stands in for.

use std::process::Command;

use super::{BIN, ok, rampart, stderr, stdout, write_temp};

const PATTERNS: &str = "# indicators of the week
[ipv4-addr:value = '198.51.100.7']
[ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value LIKE '%.example']

[file:name MATCHES '^évil\\\\.exe$' AND file:size > 1000]
[domain-name:value = 'c2.example'] REPEATS 2 TIMES
[domain-name:value = 'nothing.example'] OR [file:hashes.'SHA-256' = 'aa']
";

fn bundle() -> String {
    let observed = |n: u32, at: &str, refs: &[&str]| {
        serde_json::json!({
            "type": "observed-data", "spec_version": "2.1",
            "id": format!("observed-data--a0b8c1d1-5f5c-4c3e-8f26-4c4a4c5e000{n}"),
            "created": at, "modified": at, "first_observed": at, "last_observed": at,
            "number_observed": 1, "object_refs": refs,
        })
    };
    let ip = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
    let file = "file--0b9b8c2c-1b8e-5a6e-9a2e-2e8c4c0d1111";
    let domain = "domain-name--dd686e37-6889-53bd-8ae1-b1a503452613";
    serde_json::json!({"type": "bundle", "id": "bundle--1b3a0c4e-8a0c-4a7f-9b39-1c0f5f1d2a11", "objects": [
        observed(1, "2026-01-01T00:00:00Z", &[ip, file]),
        observed(2, "2026-01-01T00:01:00Z", &[domain]),
        {"type": "ipv4-addr", "spec_version": "2.1", "id": ip, "value": "198.51.100.7"},
        {"type": "file", "spec_version": "2.1", "id": file, "name": "évil.exe", "size": 4096},
        {"type": "domain-name", "spec_version": "2.1", "id": domain, "value": "c2.example"},
    ]})
    .to_string()
}

#[test]
fn stix_match_prints_and_exits_like_stix2_matcher() {
    let (patterns, bundle) = (write_temp("patterns.txt", PATTERNS), write_temp("observed.json", &bundle()));
    let ours = Command::new(BIN).args(["stix", "match", &patterns, &bundle]).output().unwrap();
    assert_eq!(ours.status.code(), Some(1), "some patterns do not match: {}", stderr(&ours));
    let lines: Vec<String> = stdout(&ours).lines().filter(|l| !l.is_empty()).map(String::from).collect();
    assert_eq!(
        lines,
        [
            "MATCH:  [ipv4-addr:value = '198.51.100.7']",
            "MATCH:  [ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value LIKE '%.example']",
            r"MATCH:  [file:name MATCHES '^\xe9vil\\\\.exe$' AND file:size > 1000]",
            "NO MATCH:  [domain-name:value = 'c2.example'] REPEATS 2 TIMES",
            "NO MATCH:  [domain-name:value = 'nothing.example'] OR [file:hashes.'SHA-256' = 'aa']",
        ]
    );
    let one_by_one = Command::new(BIN).args(["stix", "match", "--one-by-one", &patterns, &bundle]).output().unwrap();
    assert_eq!(stdout(&one_by_one), stdout(&ours), "the indicator index answers as matching one by one does");
    let quiet = Command::new(BIN).args(["stix", "match", "-q", &patterns, &bundle]).output().unwrap();
    assert!(
        !stdout(&quiet).contains("\nMATCH") && stdout(&quiet).matches("NO MATCH").count() == 2,
        "{}",
        stdout(&quiet)
    );

    match Command::new("stix2-matcher").args(["-p", &patterns, "-f", &bundle, "-s", "2.1"]).output() {
        Ok(reference) => {
            assert_eq!(stdout(&ours), stdout(&reference), "the same output as stix2-matcher");
            assert_eq!(ours.status.code(), reference.status.code(), "the same exit status as stix2-matcher");
        }
        Err(_) if std::env::var("RAMPART_ORACLES").as_deref() == Ok("1") => panic!("stix2-matcher is not installed"),
        Err(_) => eprintln!("SKIPPED the comparison with stix2-matcher: pip install stix2-matcher"),
    }
}

#[test]
fn stix_match_says_where_a_pattern_does_not_parse() {
    let bundle = write_temp("observed-2.json", &bundle());
    let patterns =
        write_temp("bad-patterns.txt", "[ipv4-addr:value = '198.51.100.7']\n[file:name = 'a'] WITHIN 5 HOURS\n");
    let out = Command::new(BIN).args(["stix", "match", &patterns, &bundle]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an error exits 2");
    assert!(stdout(&out).contains("MATCH:  [ipv4-addr:value"), "what was matched before the error is printed");
    assert!(
        stderr(&out).contains("bad-patterns.txt:2")
            && stderr(&out).contains("line 1, column 28: expected SECONDS, found 'HOURS'"),
        "{}",
        stderr(&out)
    );

    let out = Command::new(BIN).args(["stix", "match", &patterns, "/nonexistent.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read /nonexistent.json"), "{}", stderr(&out));
}

fn attack(file: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/attack").join(file);
    path.exists().then(|| path.to_str().unwrap().to_string()).or_else(|| {
        eprintln!("SKIPPED: {} is not here", path.display());
        None
    })
}

crate::cli_test!(stix_import_keeps_versions_and_export_passes_the_validator, |db| {
    let (Some(old), Some(new)) = (attack("ics-attack-17.1.json"), attack("ics-attack.json")) else { return };
    let url = &db.url;
    ok(url, &["org", "create", "National CSIRT", "--kind", "authority"], None);
    ok(url, &["community", "create", "ISAC", "--owner", "National CSIRT"], None);
    let created: serde_json::Value = serde_json::from_str(&ok(
        url,
        &["taxii", "collection", "create", "--title", "ICS ATT&CK", "--community", "ISAC", "--json"],
        None,
    ))
    .unwrap();
    let collection = created["id"].as_str().unwrap().to_string();
    let bare = ok(url, &["taxii", "collection", "create", "--title", "Own", "--org", "National CSIRT"], None);
    assert_eq!(bare.trim().len(), 36, "the id alone: {bare}");

    let first = ok(url, &["stix", "import", &old, "--collection", &collection], None);
    assert!(first.contains("1651 versions added, 0 already in the collection, 0 refused"), "{first}");
    let second = ok(url, &["stix", "import", &new, "--collection", &collection], None);
    assert!(second.contains("490 versions added, 1336 already in the collection"), "{second}");
    let out = write_temp("export.json", "");
    let exported = ok(url, &["stix", "export", "--collection", &collection, "--out", &out], None);
    assert!(exported.contains("wrote 2064 objects"), "{exported}");
    match Command::new("stix2_validator").arg(&out).output() {
        Ok(run) => assert!(run.status.success(), "the export passes stix2_validator: {}", stdout(&run)),
        Err(_) if std::env::var("RAMPART_ORACLES").as_deref() == Ok("1") => panic!("stix2_validator is not installed"),
        Err(_) => eprintln!("SKIPPED the OASIS validator: pip install stix2-validator"),
    }

    let broken = write_temp(
        "broken.json",
        r#"{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
            {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.7"},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--nope"}]}"#,
    );
    let refused = rampart(url, &["stix", "import", &broken, "--collection", &collection], None);
    assert_eq!(refused.status.code(), Some(1), "a refused object makes the exit non-zero");
    assert!(
        stdout(&refused).contains("1 versions added") && stdout(&refused).contains("1 refused"),
        "{}",
        stdout(&refused)
    );
    assert!(stderr(&refused).contains("objects[1] (indicator--nope)"), "{}", stderr(&refused));
    let unknown = rampart(url, &["stix", "import", &broken, "--collection", "nope"], None);
    assert!(!unknown.status.success() && stderr(&unknown).contains("no collection with id nope"));
});
