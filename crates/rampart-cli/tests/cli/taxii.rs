//! `rampart taxii subscribe` and `rampart taxii pull` against medallion, the
//! OASIS reference server, on loopback: a first pull takes a whole release
//! of ICS ATT&CK page by page, the next only what the newer release added,
//! the one after nothing; a wrong password fails the pull with the reason.

use std::process::Command;

use serde_json::Value;

use crate::medallion::{COLLECTION, Medallion, PASSWORD, USER};
use crate::{cli_test, ok, rampart, rampart_with, stderr, stdout};

/// Adds a bundle's objects to medallion's collection with the OASIS client.
fn add(medallion: &Medallion, bundle: &str) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/oracles/taxii_add.py");
    let run = Command::new("python3")
        .arg(script)
        .args([&medallion.api_root(), USER, PASSWORD, COLLECTION, bundle])
        .output()
        .unwrap();
    assert!(run.status.success(), "taxii2-client could not add {bundle}: {}", String::from_utf8_lossy(&run.stderr));
}

fn pull(url: &str, subscription: &str) -> Value {
    serde_json::from_str(&ok(url, &["taxii", "pull", subscription, "--json"], None)).unwrap()
}

cli_test!(rampart_pulls_a_medallion_collection_incrementally, |db| {
    let Some((old, new)) = crate::serve::ics_releases() else { return };
    if !crate::medallion::installed() {
        return;
    }
    let url = &db.url;
    // Pages of 500 (medallion reads slowly: each page costs about half a second).
    let medallion = Medallion::start(500).await;
    add(&medallion, &old);
    ok(url, &["org", "create", "Alpha Hosting", "--kind", "provider"], None);
    let local = ok(url, &["taxii", "collection", "create", "--title", "ICS ATT&CK", "--org", "Alpha Hosting"], None);
    let local = local.trim();
    let root = medallion.api_root();
    let subscribe = |password_env: &str, password: &str| {
        let args = [
            "taxii",
            "subscribe",
            "--collection",
            local,
            "--api-root",
            &root,
            "--remote-collection",
            COLLECTION,
            "--title",
            "ICS from medallion",
            "--user",
            USER,
            "--password-env",
            password_env,
            "--every-minutes",
            "0",
        ];
        let out = rampart_with(url, &args, None, &[(password_env, password)]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_string()
    };
    let subscription = subscribe("FEED_PASSWORD", PASSWORD);

    let first = pull(url, &subscription);
    assert_eq!(first["error"], Value::Null, "{first}");
    assert_eq!((first["added"].as_i64(), first["refused"].as_i64()), (Some(1651), Some(0)), "{first}");
    assert_eq!(first["pages"], 4, "medallion pages by 500: the pull followed `next` to the end");
    assert!(first["added_after_to"].is_string(), "{first}");

    add(&medallion, &new);
    let second = pull(url, &subscription);
    assert_eq!(second["added_after_from"], first["added_after_to"], "the second pull starts where the first ended");
    assert_eq!(second["added"], 490, "only the newer release's new objects and versions: {second}");
    let third = pull(url, &subscription);
    assert_eq!((third["added"].as_i64(), third["present"].as_i64()), (Some(0), Some(0)), "{third}");

    // The same collection as importing both releases directly.
    let out = std::env::temp_dir().join(format!("rampart-pulled-{}.json", rampart_domain::new_id()));
    let wrote = ok(url, &["stix", "export", "--collection", local, "--out", out.to_str().unwrap()], None);
    let _ = std::fs::remove_file(&out);
    assert!(wrote.contains("wrote 2064 objects"), "{wrote}");
    let listed = ok(url, &["taxii", "subscriptions", "--org", "Alpha Hosting"], None);
    assert!(listed.contains("ICS from medallion") && listed.contains("pulled "), "{listed}");

    // A wrong password: exit 1, the reason, nothing kept.
    let wrong = subscribe("WRONG_PASSWORD", "not-the-password");
    let failed = rampart(url, &["taxii", "pull", &wrong], None);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).contains("refused the subscription's credentials (401"), "{}", stderr(&failed));
    assert!(stdout(&failed).contains("0 versions added"), "{}", stdout(&failed));
    drop(medallion);
});
