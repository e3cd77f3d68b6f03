//! The `rampart` command line, run as a user would run it.

mod http;
mod medallion;
mod serve;
mod stix;
mod taxii;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use rampart_store::testing::TestDatabase;

pub const BIN: &str = env!("CARGO_BIN_EXE_rampart");

/// The secret key every command of the tests seals credentials with (so
/// none writes a key file into the working directory).
pub const SECRET_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Runs `rampart` against `url` with `args`, feeding `stdin`.
pub fn rampart(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    rampart_with(url, args, stdin, &[])
}

/// As [`rampart`], with more environment variables.
pub fn rampart_with(url: &str, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RAMPART_DATABASE_URL", url)
        .env("RAMPART_SECRET_KEY", SECRET_KEY)
        .env("RAMPART_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rampart binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and insists on success, returning stdout.
pub fn ok(url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let out = rampart(url, args, stdin);
    assert!(out.status.success(), "rampart {args:?} failed: {}{}", stdout(&out), stderr(&out));
    stdout(&out)
}

/// A test that runs on a fresh SQLite database and on a fresh PostgreSQL one.
#[macro_export]
macro_rules! cli_test {
    ($name:ident, |$db:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($db: &rampart_store::testing::TestDatabase) {
                $body
            }

            async fn run(backend: rampart_store::Backend) {
                let Some(db) = rampart_store::testing::TestDatabase::new(backend, stringify!($name)).await else {
                    return;
                };
                scenario(&db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(rampart_store::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(rampart_store::Backend::Postgres).await
            }
        }
    };
}

#[test]
fn help_is_available_everywhere() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["user", "create", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["token", "--help"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("Usage:"), "{args:?}");
    }
}

cli_test!(an_operator_sets_up_an_organisation_from_the_shell, |db| {
    let url = &db.url;
    let created: serde_json::Value =
        serde_json::from_str(&ok(url, &["org", "create", "ACME CERT", "--kind", "coordinator", "--json"], None))
            .unwrap();
    assert_eq!(created["kind"], "coordinator");
    let out = ok(
        url,
        &["user", "create", "Alice@acme.example", "--org", "ACME CERT", "--role", "admin", "--password-stdin"],
        Some("a-sturdy-pass-phrase\n"),
    );
    assert!(out.contains("alice@acme.example is now admin of ACME CERT"));
    let generated: serde_json::Value = serde_json::from_str(&ok(
        url,
        &["user", "create", "bob@acme.example", "--org", "ACME CERT", "--role", "viewer", "--json"],
        None,
    ))
    .unwrap();
    assert_eq!(generated["password"].as_str().map(str::len), Some(24), "a generated password is printed once");
    let token: serde_json::Value = serde_json::from_str(&ok(
        url,
        &[
            "token",
            "create",
            "--user",
            "alice@acme.example",
            "--org",
            "ACME CERT",
            "--name",
            "ci",
            "--expires-in",
            "90d",
            "--json",
        ],
        None,
    ))
    .unwrap();
    let actor = db.store.authenticate_token(token["secret"].as_str().unwrap()).await.unwrap();
    assert_eq!(actor.email, "alice@acme.example");
    assert!(ok(url, &["org", "list"], None).contains("ACME CERT\tcoordinator"));
    let verified: serde_json::Value = serde_json::from_str(&ok(url, &["audit", "verify", "--json"], None)).unwrap();
    assert_eq!(verified[0]["intact"], true);
    assert_eq!(verified[0]["records"], 4);
});

cli_test!(bad_input_fails_with_a_message_and_a_non_zero_exit, |db| {
    let url = &db.url;
    let out = rampart(url, &["org", "create", "X", "--kind", "isp"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("provider, consumer, authority, coordinator, law-enforcement"));
    let out = rampart(url, &["user", "create", "a@x.example", "--org", "Nowhere", "--role", "admin"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no organisation named \"Nowhere\""));
    ok(url, &["org", "create", "X", "--kind", "provider"], None);
    let out = rampart(
        url,
        &["user", "create", "a@x.example", "--org", "X", "--role", "admin", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("password: must be at least 12 characters"));
    let out = rampart(
        url,
        &["token", "create", "--user", "a@x.example", "--org", "X", "--name", "t", "--expires-in", "soon"],
        None,
    );
    assert!(!out.status.success());
    assert!(db.store.is_empty().await.is_ok());
});

cli_test!(audit_verify_names_the_first_broken_record, |db| {
    let url = &db.url;
    ok(url, &["org", "create", "ACME", "--kind", "provider"], None);
    for email in ["a@acme.example", "b@acme.example", "c@acme.example"] {
        ok(url, &["user", "create", email, "--org", "ACME", "--role", "viewer"], None);
    }
    assert!(ok(url, &["audit", "verify", "--org", "ACME"], None).contains("ACME: intact, 4 records"));
    db.store.execute_raw_for_tests("UPDATE audit_records SET actor = 'mallory' WHERE seq = 3").await.unwrap();
    let out = rampart(url, &["audit", "verify", "--org", "ACME"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ACME: BROKEN at record 3"), "{}", stderr(&out));
});

cli_test!(backup_and_restore_round_trip_and_refuse_to_overwrite, |db| {
    let url = &db.url;
    ok(url, &["org", "create", "ACME", "--kind", "provider"], None);
    ok(url, &["user", "create", "a@acme.example", "--org", "ACME", "--role", "admin"], None);
    let file = std::env::temp_dir().join(format!("rampart-cli-{}.backup", rampart_store::now_ms()));
    let file = file.to_str().unwrap();
    assert!(ok(url, &["backup", "--out", file], None).contains("backed up"));
    let out = rampart(url, &["restore", file], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"));
    assert!(ok(url, &["restore", file, "--force"], None).contains("restored"));
    assert!(ok(url, &["audit", "verify"], None).contains("intact"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_import_move_an_installation_between_databases() {
    let (Some(from), Some(to)) = (
        TestDatabase::new(rampart_store::Backend::Sqlite, "export").await,
        TestDatabase::new(rampart_store::Backend::Postgres, "import").await,
    ) else {
        return;
    };
    ok(&from.url, &["demo"], None);
    let dir = std::env::temp_dir().join(format!("rampart-cli-export-{}", rampart_store::now_ms()));
    let dir = dir.to_str().unwrap();
    ok(&from.url, &["export", "--out", dir], None);
    assert!(ok(&to.url, &["import", dir], None).contains("imported"));
    assert_eq!(ok(&to.url, &["org", "list"], None), ok(&from.url, &["org", "list"], None));
    assert!(!rampart(&to.url, &["import", dir], None).status.success(), "a non-empty database needs --force");
    from.cleanup().await;
    to.cleanup().await;
}

cli_test!(the_demo_fills_a_community_once, |db| {
    let out = ok(&db.url, &["demo"], None);
    assert!(out.contains("Demo National CSIRT") && out.contains("alice.admin@demo.example"));
    assert!(ok(&db.url, &["demo"], None).contains("already exist"));
    assert_eq!(ok(&db.url, &["org", "list"], None).lines().count(), 3);
    let provider = db.store.org_by_name("Demo Hosting Provider").await.unwrap();
    let assets = db.store.list_assets(&provider.id, &Default::default(), &Default::default()).await.unwrap().items;
    assert_eq!(assets.len(), 5, "the provider's estate is in its inventory");
    let portal = assets.iter().find(|a| a.fields.name == "Customer portal").unwrap();
    assert_eq!(db.store.asset_dependencies(&provider.id, &portal.id).await.unwrap().0.len(), 4);
    let risks = db.store.list_risks(&provider.id, &Default::default(), &Default::default()).await.unwrap().items;
    assert_eq!(risks.len(), 5, "the provider's risk register");
    assert_eq!(db.store.fair_models(&provider.id).await.unwrap().len(), 3);
    let portfolio = db.store.latest_quant_run(&provider.id, None).await.unwrap().expect("a quantified portfolio");
    assert_eq!((portfolio.iterations, portfolio.seed.as_str()), (100_000, "27032"));
    assert_eq!(portfolio.result["tolerance"].as_array().unwrap().len(), 2);
    let counts = db.store.register_counts(&provider.id).await.unwrap();
    assert_eq!(
        (counts.risk_scenarios, counts.acceptances_awaiting_decision),
        (5, 0),
        "the demo's acceptance is decided"
    );
    let frameworks = db.store.list_frameworks(&provider.id, &Default::default()).await.unwrap().items;
    assert_eq!(frameworks.len(), 3, "every built-in framework is loaded");
    let retailer = db.store.org_by_name("Demo Retail Co").await.unwrap();
    let shared: Vec<String> =
        db.store.visible_items(&retailer.id, 10).await.unwrap().into_iter().map(|i| i.title).collect();
    assert_eq!(shared.len(), 4, "the ISAC shares an advisory, an indicator and two incident summaries: {shared:?}");
    let summary = db
        .store
        .visible_items(&provider.id, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.kind == "incident-summary" && i.owner_org == provider.id)
        .unwrap();
    let correlated = db.store.correlations(&provider.id, &summary.id).await.unwrap();
    assert_eq!(
        correlated.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
        vec!["203.0.113.66"],
        "the CSIRT's summary holds the same C2"
    );
    let collections = db.store.readable_collections(&retailer.id).await.unwrap();
    assert_eq!(collections.len(), 1, "the ISAC's collection, readable over TAXII by a member");

    let listed: serde_json::Value =
        serde_json::from_str(&ok(&db.url, &["assessment", "list", "--org", "Demo Hosting Provider", "--json"], None))
            .unwrap();
    let assessment = &listed[0];
    assert_eq!(
        (assessment["status"].as_str(), assessment["framework"].as_str()),
        (Some("in-progress"), Some("Rampart ISO/IEC 27032 practice catalog"))
    );
    let compliance = assessment["summary"]["compliance"].as_f64().unwrap();
    assert!(compliance > 20.0 && compliance < 80.0, "a realistic assessment part way through: {compliance}");
    let id = assessment["id"].as_str().unwrap();
    let shown = ok(&db.url, &["assessment", "show", id], None);
    assert!(shown.contains("Internet security baseline 2027") && shown.contains("  IP\t"), "{shown}");
    let csv = ok(&db.url, &["assessment", "export", id, "--format", "csv"], None);
    assert!(
        csv.starts_with("ref_id,title,result,score,target") && csv.contains("NET.4,Routing hygiene,compliant,4,4,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 103, "one row per requirement of the essential and provider groups");
    let out = rampart(&db.url, &["assessment", "show", "nope"], None);
    assert!(!out.status.success() && stderr(&out).contains("rampart assessment list"));

    let incidents: serde_json::Value =
        serde_json::from_str(&ok(&db.url, &["incident", "list", "--org", "Demo Hosting Provider", "--json"], None))
            .unwrap();
    let states: Vec<&str> = incidents.as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap()).collect();
    assert_eq!(states.len(), 3);
    assert!(states.contains(&"containment") && states.contains(&"triage") && states.contains(&"closed"), "{states:?}");
    let ransomware = incidents.as_array().unwrap().iter().find(|i| i["state"] == "containment").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = ok(&db.url, &["incident", "show", &ransomware], None);
    assert!(
        shown.contains("NIS2 early warning") && shown.contains("203.0.113.66 (also in 1 other incident)"),
        "{shown}"
    );
    let exported: serde_json::Value =
        serde_json::from_str(&ok(&db.url, &["incident", "export", &ransomware, "--format", "json"], None)).unwrap();
    assert_eq!(exported["obligations"].as_array().unwrap().len(), 4, "three NIS2 reports and one GDPR");
    assert_eq!(
        ok(&db.url, &["incident", "list", "--open"], None).lines().count(),
        3,
        "two of the provider's and the CSIRT's"
    );
});

#[test]
fn migrate_creates_the_default_sqlite_file_in_the_data_directory() {
    let dir = std::env::temp_dir().join(format!("rampart-cli-data-{}", rampart_store::now_ms()));
    let out = Command::new(BIN)
        .args(["migrate", "--data-dir", dir.to_str().unwrap()])
        .env_remove("RAMPART_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("schema is at version {}", rampart_store::MIGRATIONS.len())));
    assert!(dir.join("rampart.db").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cvss_scores_vectors_and_explains_invalid_ones() {
    let good = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let out = Command::new(BIN).args(["cvss", good]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out), format!("{good} 9.3 Critical\n"));

    let mut child = Command::new(BIN)
        .args(["cvss", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            format!("{good}\nCVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N\nCVSS:4.0/AV:X\n")
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "an invalid vector makes the exit non-zero");
    assert_eq!(stdout(&out).lines().count(), 2, "the valid vectors are still scored");
    assert!(stdout(&out).contains("6.9 Medium"));
    assert!(stderr(&out).contains("`X` is not a value of AV (allowed: N, A, L, P)"), "{}", stderr(&out));
}

fn example(name: &str) -> String {
    format!("{}/../../examples/quant/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn quant_run_prints_the_documented_json() {
    let out = Command::new(BIN)
        .args(["quant", "run", &example("pyfair-reference.yaml"), "--iterations", "200000", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let scenario = &result["scenarios"][0];
    assert_eq!(scenario["name"], "Ransomware on file servers");
    for key in ["p5", "p10", "p50", "p90", "p95", "p99"] {
        assert!(scenario["percentiles"][key].is_f64(), "{key}");
        assert!(result["portfolio"]["percentiles"][key].is_f64(), "{key}");
    }
    assert!(scenario["mean"].as_f64().unwrap() > 400_000.0 && scenario["stdev"].is_f64());
    assert_eq!(result["iterations"], 200_000);
    assert_eq!(result["seed"], 7);
    assert!(result["engine_version"].is_string());
}

#[test]
fn quant_results_do_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        let out = Command::new(BIN)
            .args([
                "quant",
                "run",
                &example("internet-facing-provider.yaml"),
                "--iterations",
                "50000",
                "--format",
                "csv",
                "--threads",
                threads,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert!(one.starts_with("name,mean,stdev,min,max,p5,p50,p90,p95,p99,p99.9\n"));
    assert_eq!(one.lines().count(), 5, "three scenarios and the portfolio");
}

#[test]
fn quant_run_draws_the_loss_exceedance_curve() {
    let svg = std::env::temp_dir().join(format!("rampart-lec-{}.svg", std::process::id()));
    let out = Command::new(BIN)
        .args([
            "quant",
            "run",
            &example("internet-facing-provider.yaml"),
            "--iterations",
            "20000",
            "--lec",
            svg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("risk tolerance:") && stdout(&out).contains("return on cost"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("Portfolio") && text.matches("<polyline").count() == 4);
    std::fs::remove_file(svg).unwrap();
}

#[test]
fn quant_errors_name_the_file_and_the_field() {
    let dir = std::env::temp_dir().join(format!("rampart-quant-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "min-mode.yaml",
            "scenarios:\n  - name: x\n    tef: { pert: [5, 1, 20] }\n    vulnerability: { constant: 0.5 }\n    loss_magnitude: { constant: 10 }\n",
            "scenarios[0].tef: min (5) must not exceed mode (1)",
        ),
        (
            "probability.yaml",
            "scenarios:\n  - name: x\n    tef: { constant: 3 }\n    vulnerability: { uniform: [0.5, 1.5] }\n    loss_magnitude: { constant: 10 }\n",
            "scenarios[0].vulnerability: is a probability",
        ),
        (
            "negative.yaml",
            "scenarios:\n  - name: x\n    tef: { constant: 3 }\n    vulnerability: { constant: 0.5 }\n    loss_magnitude: { uniform: [-10, 10] }\n",
            "scenarios[0].loss_magnitude: cannot be negative",
        ),
        ("unknown.yaml", "scenarios:\n  - name: x\n    tef: { beta: [1, 2] }\n", "unknown field `beta`"),
        (
            "cap.yaml",
            "iterations: 999999999\nscenarios:\n  - name: x\n    tef: { constant: 3 }\n    vulnerability: { constant: 0.5 }\n    loss_magnitude: { constant: 10 }\n",
            "iterations: must be between 1 and",
        ),
    ];
    for (file, text, expected) in cases {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        let out = Command::new(BIN).args(["quant", "run", path.to_str().unwrap()]).output().unwrap();
        assert!(!out.status.success(), "{file}");
        let err = stderr(&out);
        assert!(err.contains(file) && err.contains(expected), "{file}: {err}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

cli_test!(attack_bundles_import_as_threats, |db| {
    let file = format!("{}/../../../shared/data/attack/ics-attack.json", env!("CARGO_MANIFEST_DIR"));
    if !std::path::Path::new(&file).exists() {
        eprintln!("SKIPPED attack import: {file} is absent");
        return;
    }
    ok(&db.url, &["org", "create", "Grid Co", "--kind", "provider"], None);
    let first: serde_json::Value =
        serde_json::from_str(&ok(&db.url, &["threat", "import-attack", &file, "--org", "Grid Co", "--json"], None))
            .unwrap();
    assert!(first["created"].as_u64().unwrap() > 50 && first["updated"] == 0, "{first}");
    let again = ok(&db.url, &["threat", "import-attack", &file, "--org", "Grid Co"], None);
    assert!(again.contains(" 0 new, "), "{again}");
    let out = rampart(&db.url, &["threat", "import-attack", "Cargo.toml", "--org", "Grid Co"], None);
    assert!(!out.status.success() && stderr(&out).contains("not JSON"));
});

fn write_temp(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("rampart-{}-{name}", rampart_store::now_ms()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

cli_test!(frameworks_load_from_the_library_and_from_files, |db| {
    let url = &db.url;
    let library: serde_json::Value = serde_json::from_str(&ok(url, &["framework", "list", "--json"], None)).unwrap();
    assert_eq!(library.as_array().unwrap().len(), 3);
    ok(url, &["org", "create", "ACME", "--kind", "provider"], None);
    let csf = "urn:rampart:framework:nist-csf-2.0";
    let loaded: serde_json::Value =
        serde_json::from_str(&ok(url, &["framework", "load", csf, "--org", "ACME", "--json"], None)).unwrap();
    assert_eq!((loaded["created"].as_u64(), loaded["assessable"].as_i64()), (Some(134), Some(106)));
    let again = rampart(url, &["framework", "load", csf, "--org", "ACME"], None);
    assert!(!again.status.success() && stderr(&again).contains("already loaded"), "{}", stderr(&again));

    let exported = ok(url, &["framework", "export", csf, "--org", "ACME"], None);
    assert_eq!(rampart_frameworks::parse_yaml(&exported).unwrap(), rampart_frameworks::built_in(csf).unwrap());
    let mut upgraded = exported.replace("version: 1\n", "version: 2\n");
    upgraded = upgraded.replace("title: Hardware inventory", "title: Hardware inventoried");
    let file = write_temp("csf-v2.yaml", &upgraded);
    let out = ok(url, &["framework", "import", &file, "--org", "ACME"], None);
    assert!(out.contains("upgraded from v1 to v2") && out.contains("0 new, 134 updated, 0 withdrawn"), "{out}");
    assert!(ok(url, &["framework", "list", "--org", "ACME"], None).contains(&format!("{csf}\tv2\t106 assessable")));

    let broken = write_temp(
        "broken.yaml",
        &upgraded.replace("version: 2\n", "version: 3\n").replace("parent: GV.OC\n", "parent: GV.XX\n"),
    );
    let out = rampart(url, &["framework", "import", &broken, "--org", "ACME"], None);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(
        message.contains(&broken) && message.contains("requirements[2].parent") && message.contains("(line "),
        "{message}"
    );
    assert!(
        ok(url, &["framework", "list", "--org", "ACME"], None).contains("\tv2\t"),
        "a refused file changes nothing"
    );
    let out = rampart(url, &["framework", "load", "urn:nope", "--org", "ACME"], None);
    assert!(!out.status.success() && stderr(&out).contains("framework list"));
});

fn oscal_file(name: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/oscal").join(name);
    if path.exists() {
        Some(path.to_str().unwrap().to_string())
    } else {
        eprintln!("SKIPPED: {} is absent", path.display());
        None
    }
}

cli_test!(oscal_catalogs_and_profiles_import_from_files, |db| {
    let (Some(low), Some(high), Some(csf)) = (
        oscal_file("NIST_SP-800-53_rev5_LOW-baseline_profile.json"),
        oscal_file("NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json"),
        oscal_file("NIST_CSF_v2.0_catalog.json"),
    ) else {
        return;
    };
    let url = &db.url;
    ok(url, &["org", "create", "ACME", "--kind", "provider"], None);
    let out = rampart(url, &["framework", "import", &low, "--org", "ACME"], None);
    assert!(!out.status.success() && stderr(&out).contains("--catalog FILE"), "{}", stderr(&out));
    let done: serde_json::Value = serde_json::from_str(&ok(
        url,
        &["framework", "import", &low, "--catalog", &high, "--org", "ACME", "--urn", "urn:nist:sp800-53:low", "--json"],
        None,
    ))
    .unwrap();
    assert_eq!(done["urn"], "urn:nist:sp800-53:low");
    assert!(done["assessable"].as_i64().unwrap() > 100, "{done}");
    ok(url, &["framework", "load", "urn:rampart:framework:nist-csf-2.0", "--org", "ACME"], None);
    let out =
        ok(url, &["framework", "import", &csf, "--org", "ACME", "--into", "urn:rampart:framework:nist-csf-2.0"], None);
    assert!(out.contains("statements and guidance of 134 nodes"), "{out}");
    let listed = ok(url, &["framework", "list", "--org", "ACME"], None);
    assert!(listed.contains("urn:nist:sp800-53:low\tv20240204\t"), "the version is the profile's date: {listed}");
    assert!(listed.contains("\toscal\t"), "{listed}");
});

/// Runs compliance-trestle's validator on an OSCAL document, or says it is
/// skipped; with RAMPART_ORACLES=1 (CI) a missing trestle fails.
fn trestle_validates(path: &str, model: &str) {
    let run = Command::new("trestle").args(["partial-object-validate", "-f", path, "-e", model]).output();
    match run {
        Ok(out) => assert!(
            out.status.success(),
            "trestle rejects {path} as {model}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) if std::env::var("RAMPART_ORACLES").as_deref() == Ok("1") => panic!("trestle is not installed"),
        Err(_) => eprintln!("SKIPPED trestle validation of {path}: pip install compliance-trestle"),
    }
}

cli_test!(assessments_export_as_oscal_that_trestle_accepts, |db| {
    let url = &db.url;
    ok(url, &["demo"], None);
    let listed: serde_json::Value =
        serde_json::from_str(&ok(url, &["assessment", "list", "--org", "Demo Hosting Provider", "--json"], None))
            .unwrap();
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let ar = write_temp("ar.json", "");
    ok(url, &["assessment", "export", &id, "--format", "oscal-ar", "--out", &ar], None);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&ar).unwrap()).unwrap();
    let result = &doc["assessment-results"]["results"][0];
    assert_eq!(result["reviewed-controls"]["control-selections"][0]["include-controls"].as_array().unwrap().len(), 103);
    let findings = result["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 47, "every answered requirement but the one not applicable");
    assert!(findings.iter().any(
        |f| f["target"]["status"]["state"] == "not-satisfied" && f["target"]["status"]["reason"] == "non-compliant"
    ));
    trestle_validates(&ar, "assessment-results");
    let poam = write_temp("poam.json", "");
    ok(url, &["assessment", "export", &id, "--format", "poam", "--out", &poam], None);
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&poam).unwrap()).unwrap();
    let items = doc["plan-of-action-and-milestones"]["poam-items"].as_array().unwrap();
    assert_eq!(items.len(), 103 - 27 - 1, "partial, non-compliant and not yet assessed requirements");
    trestle_validates(&poam, "plan-of-action-and-milestones");

    let Some(moderate) = oscal_file("NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json") else {
        return;
    };
    ok(url, &["framework", "import", &moderate, "--org", "Demo Hosting Provider", "--urn", "urn:nist:moderate"], None);
    let provider = db.store.org_by_name("Demo Hosting Provider").await.unwrap();
    let framework = db.store.framework_by_urn(&provider.id, "urn:nist:moderate").await.unwrap();
    let fields =
        rampart_domain::assessment::AssessmentFields::parse("FedRAMP-style", "", None, &[], "", "", &[]).unwrap();
    let ctx = rampart_store::ChangeContext::cli();
    let a = db.store.create_assessment(&ctx, &provider.id, &framework.id, fields).await.unwrap();
    let nodes = db.store.requirement_nodes(&provider.id, &framework.id).await.unwrap();
    let enhancement = nodes.iter().find(|n| n.requirement.ref_id == "AC-2(1)").unwrap().id.clone();
    let answer = rampart_domain::assessment::ResultFields::parse(
        "partially-compliant",
        None,
        None,
        "Scripts, not a tool",
        "",
        "IT",
        &[],
    )
    .unwrap();
    db.store.set_results(&ctx, &provider.id, &a.id, &[enhancement], &answer).await.unwrap();
    let ar = write_temp("ar-800-53.json", "");
    ok(url, &["assessment", "export", &a.id, "--format", "oscal-ar", "--out", &ar], None);
    let text = std::fs::read_to_string(&ar).unwrap();
    assert!(text.contains("\"target-id\": \"ac-2.1\""), "findings name OSCAL's own control ids");
    trestle_validates(&ar, "assessment-results");
});

cli_test!(communities_are_set_up_from_the_command_line, |db| {
    for (name, kind) in [("National CSIRT", "authority"), ("Alpha Hosting", "provider")] {
        ok(&db.url, &["org", "create", name, "--kind", kind], None);
    }
    let created = ok(&db.url, &["community", "create", "Sector ISAC", "--owner", "National CSIRT", "--json"], None);
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    assert_eq!(created["owner"], "National CSIRT");
    ok(&db.url, &["community", "add", "Sector ISAC", "--org", "Alpha Hosting", "--role", "reader"], None);
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&db.url, &["community", "list", "--org", "Alpha Hosting", "--json"], None)).unwrap();
    assert_eq!(listed[0]["name"], "Sector ISAC");
    assert_eq!((listed[0]["role"].as_str(), listed[0]["state"].as_str()), (Some("reader"), Some("active")));

    let twice = rampart(&db.url, &["community", "add", "Sector ISAC", "--org", "Alpha Hosting"], None);
    assert!(!twice.status.success() && stderr(&twice).contains("already in the community"), "{}", stderr(&twice));
    let unknown = rampart(&db.url, &["community", "add", "Nope", "--org", "Alpha Hosting"], None);
    assert!(!unknown.status.success() && stderr(&unknown).contains("no community named \"Nope\""));
    let role =
        rampart(&db.url, &["community", "add", "Sector ISAC", "--org", "National CSIRT", "--role", "boss"], None);
    assert!(
        !role.status.success() && stderr(&role).contains("`boss` is not one of: owner, contributor, reader"),
        "{}",
        stderr(&role)
    );
});
