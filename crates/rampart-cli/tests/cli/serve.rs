//! `rampart serve` as a process: first start, graceful shutdown, no lost
//! acknowledged writes when killed, and two servers sharing one PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_domain::PageRequest;
use rampart_store::testing::TestDatabase;
use rampart_store::{Backend, Store};

use crate::http::request;
use crate::{BIN, cli_test, ok};

fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

struct Server {
    child: Child,
    addr: String,
    stdout: Arc<Mutex<String>>,
    /// The JSON log lines the server wrote.
    logs: Arc<Mutex<String>>,
}

/// Collects what a child writes to one of its pipes.
fn collect(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    text
}

impl Server {
    async fn start(url: &str) -> Server {
        let addr = free_addr();
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", &addr, "--log-format", "json"])
            .env("RAMPART_DATABASE_URL", url)
            .env("RAMPART_SECRET_KEY", crate::SECRET_KEY)
            .env("RAMPART_LOG", "info,sqlx=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = collect(child.stdout.take().unwrap());
        let logs = collect(child.stderr.take().unwrap());
        for _ in 0..200 {
            if let Ok(reply) = request(&addr, "GET", "/healthz", &[], "").await
                && reply.status == 200
            {
                return Server { child, addr, stdout, logs };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("rampart serve did not come up on {addr}");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to end; returns its exit code.
    fn wait(mut self) -> Option<i32> {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("rampart serve did not stop");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in over HTTP; returns the session cookie.
async fn login(addr: &str, email: &str, password: &str) -> String {
    let body = format!("email={}&password={password}&next=%2F", email.replace('@', "%40"));
    let reply = request(
        addr,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Sec-Fetch-Site", "same-origin")],
        &body,
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 303, "login failed: {}", reply.body);
    reply.header("set-cookie").unwrap().split(';').next().unwrap().to_string()
}

cli_test!(the_first_start_prints_a_one_time_login_and_sigterm_stops_cleanly, |db| {
    let server = Server::start(&db.url).await;
    let printed = server.stdout.lock().unwrap().clone();
    assert!(printed.contains(&format!("http://{}/login", server.addr)), "{printed}");
    let password = printed.lines().find_map(|l| l.trim().strip_prefix("password:")).unwrap().trim().to_string();
    let cookie = login(&server.addr, "admin@localhost", &password).await;
    let home = request(&server.addr, "GET", "/", &[("Cookie", &cookie)], "").await.unwrap();
    assert!(home.body.contains("Create the first one"));
    assert_eq!(request(&server.addr, "GET", "/readyz", &[], "").await.unwrap().status, 200);
    let logs = server.logs.clone();
    server.signal("-TERM");
    assert_eq!(server.wait(), Some(0));
    let logs = logs.lock().unwrap().clone();
    let lines: Vec<serde_json::Value> =
        logs.lines().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
    assert!(lines.iter().any(|l| l["fields"]["route"] == "/login"), "requests are logged: {logs}");
    let session_id = cookie.split_once('=').unwrap().1;
    assert!(!logs.contains(&password) && !logs.contains(session_id), "no secret reaches the logs");
});

/// Creates tokens through the API from several connections until the server
/// goes away; returns the ids the server acknowledged (201).
async fn write_load(addr: &str, secret: &str, stop_after: Duration, on_stop: impl FnOnce()) -> Vec<String> {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (addr, secret, acknowledged) = (addr.to_string(), secret.to_string(), acknowledged.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..100_000 {
                let body = format!(r#"{{"name":"load {worker}-{i}"}}"#);
                let auth = format!("Bearer {secret}");
                match request(
                    &addr,
                    "POST",
                    "/api/v1/tokens",
                    &[("Authorization", &auth), ("Content-Type", "application/json")],
                    &body,
                )
                .await
                {
                    Ok(reply) if reply.status == 201 => {
                        let created: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
                        acknowledged.lock().unwrap().push(created["token"]["id"].as_str().unwrap().to_string());
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::sleep(stop_after).await;
    on_stop();
    for w in workers {
        let _ = tokio::time::timeout(Duration::from_secs(30), w).await;
    }
    acknowledged.lock().unwrap().clone()
}

async fn set_up_writer(url: &str) -> String {
    ok(url, &["org", "create", "Load", "--kind", "provider"], None);
    ok(url, &["user", "create", "writer@load.example", "--org", "Load", "--role", "admin"], None);
    let token: serde_json::Value = serde_json::from_str(&ok(
        url,
        &["token", "create", "--user", "writer@load.example", "--org", "Load", "--name", "load", "--json"],
        None,
    ))
    .unwrap();
    token["secret"].as_str().unwrap().to_string()
}

async fn assert_all_stored(store: &Store, acknowledged: &[String]) {
    let org = store.org_by_name("Load").await.unwrap();
    let mut stored = std::collections::HashSet::new();
    let mut page = PageRequest::first(500);
    loop {
        let got = store.list_tokens(&org.id, None, &page).await.unwrap();
        stored.extend(got.items.into_iter().map(|t| t.id));
        match got.next {
            Some(n) => page.after = Some(n),
            None => break,
        }
    }
    let lost: Vec<_> = acknowledged.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged writes were lost", lost.len());
    let chain = store.verify_audit(Some(&org.id)).await.unwrap();
    assert!(chain[0].result.is_ok(), "the audit chain survives: {:?}", chain[0].result);
}

cli_test!(no_acknowledged_write_is_lost_when_the_server_is_killed, |db| {
    let secret = set_up_writer(&db.url).await;
    let server = Server::start(&db.url).await;
    let pid = server.child.id().to_string();
    let acknowledged = write_load(&server.addr, &secret, Duration::from_millis(1500), || {
        Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    })
    .await;
    drop(server);
    assert!(acknowledged.len() > 10, "the load wrote something ({})", acknowledged.len());
    assert_all_stored(&db.store, &acknowledged).await;
});

cli_test!(sigterm_during_writes_finishes_them_and_exits_cleanly, |db| {
    let secret = set_up_writer(&db.url).await;
    let server = Server::start(&db.url).await;
    let pid = server.child.id().to_string();
    let acknowledged = write_load(&server.addr, &secret, Duration::from_millis(1000), || {
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    })
    .await;
    assert_eq!(server.wait(), Some(0));
    assert!(acknowledged.len() > 10);
    assert_all_stored(&db.store, &acknowledged).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_share_sessions() {
    let Some(db) = TestDatabase::new(Backend::Postgres, "two servers").await else { return };
    ok(&db.url, &["org", "create", "Shared", "--kind", "coordinator"], None);
    ok(
        &db.url,
        &["user", "create", "pat@shared.example", "--org", "Shared", "--role", "admin", "--password-stdin"],
        Some("a-sturdy-pass-phrase"),
    );
    let first = Server::start(&db.url).await;
    let second = Server::start(&db.url).await;
    let cookie = login(&first.addr, "pat@shared.example", "a-sturdy-pass-phrase").await;
    let home = request(&second.addr, "GET", "/", &[("Cookie", &cookie)], "").await.unwrap();
    assert_eq!(home.status, 200, "the session made on one server is valid on the other");
    assert!(home.body.contains("<h1>Shared</h1>"));
    let logout_form = home.body.split("name=\"csrf_token\" value=\"").nth(1).unwrap()[..64].to_string();
    let out = request(
        &second.addr,
        "POST",
        "/logout",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &format!("csrf_token={logout_form}"),
    )
    .await
    .unwrap();
    assert_eq!(out.status, 303);
    let after = request(&first.addr, "GET", "/", &[("Cookie", &cookie)], "").await.unwrap();
    assert_eq!(after.status, 303, "logging out on one server logs out on both");
    drop((first, second));
    db.cleanup().await;
}

/// Two releases of MITRE's ICS ATT&CK, when the shared data is here.
pub(crate) fn ics_releases() -> Option<(String, String)> {
    let attack = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/attack");
    let (old, new) = (attack.join("ics-attack-17.1.json"), attack.join("ics-attack.json"));
    if !old.exists() {
        eprintln!("SKIPPED: {} is not here", old.display());
        return None;
    }
    Some((old.to_str().unwrap().to_string(), new.to_str().unwrap().to_string()))
}

/// An authority with a user of `role` (feed@csirt.example) holding an API
/// token, and a collection of its own; the token's secret and the collection's id.
fn taxii_feed(url: &str, role: &str) -> (String, String) {
    ok(url, &["org", "create", "National CSIRT", "--kind", "authority"], None);
    let user = ["user", "create", "feed@csirt.example", "--org", "National CSIRT", "--role", role, "--password-stdin"];
    ok(url, &user, Some("a-sturdy-pass-phrase\n"));
    let token = [
        "token",
        "create",
        "--user",
        "feed@csirt.example",
        "--org",
        "National CSIRT",
        "--name",
        "taxii",
        "--expires-in",
        "30d",
        "--json",
    ];
    let token: serde_json::Value = serde_json::from_str(&ok(url, &token, None)).unwrap();
    let collection =
        ok(url, &["taxii", "collection", "create", "--title", "ICS ATT&CK", "--org", "National CSIRT"], None);
    (token["secret"].as_str().unwrap().to_string(), collection.trim().to_string())
}

// The OASIS TAXII client (taxii2-client, PyPI) reads what `rampart stix
// import` put into a collection, page by page, from a running server.
cli_test!(the_oasis_taxii_client_reads_an_imported_collection, |db| {
    let Some((old, new)) = ics_releases() else { return };
    let url = &db.url;
    let (secret, collection) = taxii_feed(url, "viewer");
    for file in [&old, &new] {
        ok(url, &["stix", "import", file, "--collection", &collection], None);
    }
    let server = Server::start(url).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/oracles/taxii_client.py");
    // An object with a version in each release.
    let object = "attack-pattern--23270e54-1d68-4c3b-b763-b25607bcef80";
    let run = Command::new("python3")
        .arg(&script)
        .args([&format!("http://{}/taxii2/", server.addr), "feed@csirt.example", &secret, object])
        .output();
    let run = match run {
        Ok(run) if run.status.success() => run,
        Ok(run) if std::env::var("RAMPART_ORACLES").as_deref() == Ok("1") => {
            panic!("taxii2-client failed (pip install taxii2-client): {}", String::from_utf8_lossy(&run.stderr))
        }
        _ => {
            eprintln!("SKIPPED the OASIS TAXII client: pip install taxii2-client");
            return;
        }
    };
    let found: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(found["collections"], serde_json::json!(["ICS ATT&CK"]));
    assert_eq!(found["api_root_versions"], serde_json::json!(["application/taxii+json;version=2.1"]));
    assert_eq!(
        (found["objects"].as_u64(), found["distinct"].as_u64()),
        (Some(2064), Some(2064)),
        "the latest version of each: {found}"
    );
    assert_eq!(found["pages"], 5, "500 per request");
    assert_eq!(found["manifest"], 2064);
    assert_eq!(found["object"], object);
    assert_eq!(found["versions"].as_array().map(Vec::len), Some(2), "{found}");
});

// The same TAXII session against Rampart and against medallion, the OASIS
// reference server (PyPI), through the OASIS client: two releases of ICS
// ATT&CK added in requests of 500, then read back every way a client reads.
cli_test!(rampart_answers_a_taxii_client_as_medallion_does, |db| {
    let Some((old, new)) = ics_releases() else { return };
    let required = std::env::var("RAMPART_ORACLES").as_deref() == Ok("1");
    if !crate::medallion::installed() {
        return;
    }
    let url = &db.url;
    let (secret, _) = taxii_feed(url, "analyst");
    let server = Server::start(url).await;

    let medallion = crate::medallion::Medallion::start(100).await;
    let medallion_addr = &medallion.addr;

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/oracles/taxii_differential.py");
    let run = Command::new("python3")
        .arg(&script)
        .args([
            &format!("http://{}/taxii2/", server.addr),
            "feed@csirt.example",
            &secret,
            &format!("http://{medallion_addr}/taxii2/"),
            "admin",
            "Password0",
            "attack-pattern--23270e54-1d68-4c3b-b763-b25607bcef80",
            &old,
            &new,
        ])
        .output()
        .unwrap();
    drop(medallion);
    if !run.status.success() {
        assert!(
            !required,
            "the TAXII session failed (pip install taxii2-client): {}",
            String::from_utf8_lossy(&run.stderr)
        );
        eprintln!("SKIPPED the comparison with medallion: {}", String::from_utf8_lossy(&run.stderr));
        return;
    }
    let answers: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let (ours, reference) = (&answers["rampart"], &answers["medallion"]);
    for key in ["latest", "all_versions", "manifest", "attack_patterns", "one", "versions"] {
        assert_eq!(ours[key], reference[key], "{key} differs from medallion");
    }
    assert_eq!(ours["latest"].as_array().unwrap().len(), 2064);
    assert_eq!(ours["all_versions"].as_array().unwrap().len(), 2141);
    // Both complete every request and count every object; medallion counts a
    // version it already holds as a failure, Rampart as a success (the
    // object is there: adding it again is idempotent).
    let requests = |answers: &serde_json::Value| {
        answers["statuses"].as_array().unwrap().iter().map(|s| (s[0].clone(), s[1].clone())).collect::<Vec<_>>()
    };
    assert_eq!(requests(ours), requests(reference));
    assert!(ours["statuses"].as_array().unwrap().iter().all(|s| s[3] == 0), "{}", ours["statuses"]);
});
