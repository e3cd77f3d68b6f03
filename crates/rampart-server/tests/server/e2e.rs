//! End-to-end in a real browser: Debian's headless Chromium driven through
//! `/usr/bin/chromedriver`. Runs when `RAMPART_E2E=1`; says it was skipped
//! otherwise. On failure it saves a screenshot under `target/e2e/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use rampart_domain::Role;
use rampart_server::{AppState, ServerConfig};
use rampart_store::testing::TestDatabase;
use rampart_store::{Backend, ChangeContext};

use crate::{PASSWORD, TestApp};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn enabled(test: &str) -> bool {
    if std::env::var("RAMPART_E2E").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("SKIPPED {test}: set RAMPART_E2E=1 (needs {CHROMIUM} and {CHROMEDRIVER})");
    false
}

/// ChromeDriver on a free port, stopped on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_driver() -> Driver {
    let port = free_port();
    let mut child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Driver { child, port };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not start listening on port {port}");
}

async fn browser(driver: &Driver) -> Client {
    let profile = std::env::temp_dir().join(format!("rampart-e2e-{}", rampart_domain::new_id()));
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900", format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let serde_json::Value::Object(caps) = caps else { unreachable!() };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium")
}

type Flow = Result<(), Box<dyn std::error::Error>>;

/// The text of the first element matching `css` once it satisfies `wanted`.
///
/// Polls, because a click that submits a form returns before the next page
/// has replaced the current one: an element found too early goes stale.
async fn wait_for_text(
    c: &Client,
    css: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<String, Box<dyn std::error::Error>> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut last = String::from("(nothing found)");
    while std::time::Instant::now() < deadline {
        if let Ok(element) = c.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if wanted(&text) {
                return Ok(text);
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{css} shows {last:?}").into())
}

async fn expect_text(c: &Client, css: &str, wanted: &str) -> Flow {
    wait_for_text(c, css, |text| text.contains(wanted))
        .await
        .map(drop)
        .map_err(|e| format!("{e}, expected {wanted:?}").into())
}

async fn fill(c: &Client, css: &str, value: &str) -> Flow {
    let field = c.find(Locator::Css(css)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

/// A person's whole first session: log in, add a member, switch organisation,
/// create and revoke a token, log out.
async fn first_session(c: &Client, base: &str, admin: &str, other_org: &str) -> Flow {
    c.goto(&format!("{base}/login")).await?;
    fill(c, "#email", admin).await?;
    fill(c, "#password", PASSWORD).await?;
    c.find(Locator::Css("form[action='/login'] button")).await?.click().await?;
    expect_text(c, "main h1", "Alpha").await?;

    c.goto(&format!("{base}/settings/members")).await?;
    fill(c, "#member-email", "new.analyst@alpha.example").await?;
    c.find(Locator::Css("#member-role")).await?.select_by_value("analyst").await?;
    fill(c, "#member-password", "a-sturdy-first-password").await?;
    c.find(Locator::Css("form[action='/settings/members'] button.primary")).await?.click().await?;
    expect_text(c, ".notice", "The member was added.").await?;
    expect_text(c, "main table", "new.analyst@alpha.example").await?;

    // The switcher submits itself on change (app.js).
    c.find(Locator::Css("#org-select")).await?.select_by_value(other_org).await?;
    expect_text(c, "main h1", "Beta").await?;
    expect_text(c, "main .lead", "viewer").await?;

    c.goto(&format!("{base}/settings/tokens")).await?;
    fill(c, "#token-name", "browser test").await?;
    c.find(Locator::Css("form[action='/settings/tokens'] button.primary")).await?.click().await?;
    wait_for_text(c, "#new-token", |text| text.starts_with("rmp_")).await?;
    c.find(Locator::Css("form[action$='/revoke'] button")).await?.click().await?;
    c.accept_alert().await?;
    expect_text(c, ".notice", "The token was revoked.").await?;

    c.find(Locator::Css("form[action='/logout'] button")).await?.click().await?;
    expect_text(c, "main h1", "Log in to Rampart").await?;
    c.goto(&format!("{base}/settings/tokens")).await?;
    let url = c.current_url().await?;
    if url.path() != "/login" {
        return Err(format!("after logout {url} is still reachable").into());
    }
    Ok(())
}

/// A server on a fresh SQLite database and a headless Chromium driving it.
struct Session {
    db: TestDatabase,
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), rampart_server::ServeError>>,
    _driver: Driver,
    client: Client,
}

impl Session {
    async fn start(name: &str) -> Session {
        let db = TestDatabase::new(Backend::Sqlite, name).await.unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(db.store.clone(), ServerConfig::default());
        let server = tokio::spawn(rampart_server::serve(state, listener, None, async {
            let _ = stopped.await;
        }));
        let driver = start_driver().await;
        let client = browser(&driver).await;
        Session { db, base, stop, server, _driver: driver, client }
    }

    /// Saves a screenshot as `target/e2e/NAME.png` and says where.
    async fn screenshot(&self, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
        std::fs::create_dir_all(&dir).unwrap();
        if let Ok(png) = self.client.screenshot().await {
            let file = dir.join(format!("{name}.png"));
            std::fs::write(&file, png).unwrap();
            eprintln!("screenshot: {}", file.display());
        }
    }

    /// Stops everything; on failure first keeps a screenshot named after the flow.
    async fn finish(self, name: &str, outcome: Flow) {
        if let Err(e) = &outcome {
            self.screenshot(&format!("{name}-failure")).await;
            eprintln!("failed: {e}");
        }
        self.client.clone().close().await.unwrap();
        let _ = self.stop.send(());
        self.server.await.unwrap().unwrap();
        self.db.cleanup().await;
        outcome.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_adds_a_member_switches_organisation_manages_a_token_and_logs_out() {
    if !enabled("browser end-to-end") {
        return;
    }
    let session = Session::start("e2e").await;
    let app = TestApp::new(&session.db.store);
    let alpha = app.org("Alpha").await;
    let beta = app.org("Beta").await;
    session
        .db
        .store
        .add_member(&ChangeContext::new("setup", "setup"), &beta.id, &alpha.admin.email, Role::Viewer, None)
        .await
        .unwrap();
    let outcome = first_session(&session.client, &session.base, &alpha.admin.email, &beta.id).await;
    session.finish("first-session", outcome).await;
}

/// An analyst records a risk scenario, gives it FAIR estimates and
/// quantifies it; the result shows its loss exceedance curve.
async fn create_and_quantify(c: &Client, base: &str, analyst: &str, session: &Session) -> Flow {
    c.goto(&format!("{base}/login")).await?;
    fill(c, "#email", analyst).await?;
    fill(c, "#password", PASSWORD).await?;
    c.find(Locator::Css("form[action='/login'] button")).await?.click().await?;
    expect_text(c, "main h1", "Alpha").await?;

    c.find(Locator::LinkText("Risks")).await?.click().await?;
    expect_text(c, "main h1", "Risk register of Alpha").await?;
    fill(c, "#r-name", "Ransomware encrypts the file servers").await?;
    fill(c, "#r-owner", "CISO").await?;
    for (select, value) in
        [("#r-current-l", "4"), ("#r-current-i", "4"), ("#r-residual-l", "2"), ("#r-residual-i", "3")]
    {
        c.find(Locator::Css(select)).await?.select_by_value(value).await?;
    }
    c.find(Locator::Css("#r-treatment")).await?.select_by_value("mitigate").await?;
    c.find(Locator::Css("form[action='/risk/scenarios'] button.primary")).await?.click().await?;
    expect_text(c, ".notice", "The scenario was recorded.").await?;
    expect_text(c, "main h1", "Ransomware encrypts the file servers").await?;
    expect_text(c, ".ratings-cards", "High").await?;

    // The template holds pyfair's reference model; save it as it is.
    c.find(Locator::Css("form[action$='/fair'] button")).await?.click().await?;
    expect_text(c, ".notice", "The FAIR estimates were saved.").await?;
    fill(c, "#q-iterations", "100000").await?;
    fill(c, "#q-seed", "7").await?;
    c.find(Locator::Css("form[action$='/quantify'] button.primary")).await?.click().await?;
    expect_text(c, ".notice", "The scenario was quantified").await?;
    expect_text(c, "#result", "seed 7").await?;
    c.find(Locator::Css("#result svg[aria-labelledby='lec-title'] polyline")).await?;
    c.find(Locator::Css("#result svg[aria-labelledby='histogram-title'] rect")).await?;
    c.execute("document.getElementById('result').scrollIntoView()", vec![]).await?;
    session.screenshot("scenario-quantified").await;

    c.goto(&format!("{base}/risk/scenarios")).await?;
    expect_text(c, "main table", "estimated").await?;
    session.screenshot("risk-register").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_records_and_quantifies_a_risk_scenario() {
    if !enabled("browser end-to-end") {
        return;
    }
    let session = Session::start("e2e-risk").await;
    let app = TestApp::new(&session.db.store);
    let alpha = app.org("Alpha").await;
    let outcome = create_and_quantify(&session.client, &session.base, &alpha.analyst.email, &session).await;
    session.finish("risk-scenario", outcome).await;
}

/// An analyst loads the 27032 practice catalog, starts an assessment,
/// answers with the keyboard and in bulk, and moves it into progress.
async fn assess(c: &Client, base: &str, analyst: &str, session: &Session) -> Flow {
    c.goto(&format!("{base}/login")).await?;
    fill(c, "#email", analyst).await?;
    fill(c, "#password", PASSWORD).await?;
    c.find(Locator::Css("form[action='/login'] button")).await?.click().await?;
    expect_text(c, "main h1", "Alpha").await?;
    c.find(Locator::LinkText("Assessments")).await?.click().await?;
    expect_text(c, "main h1", "Assessments of Alpha").await?;
    c.find(Locator::Css("nav.tabs a[href='/frameworks']")).await?.click().await?;
    c.find(Locator::Css("input[value='urn:rampart:framework:iso-iec-27032-practice'] ~ button")).await?.click().await?;
    expect_text(c, ".notice", "The framework was loaded.").await?;
    c.goto(&format!("{base}/assessments")).await?;
    fill(c, "#a-name", "Internet security 2027").await?;
    c.find(Locator::Css("form[action='/assessments'] button.primary")).await?.click().await?;
    expect_text(c, ".notice", "The assessment was started").await?;

    // The keyboard: the first requirement, compliant, saved.
    c.find(Locator::Css("body")).await?.send_keys("j").await?;
    c.find(Locator::Css("body")).await?.send_keys("1").await?;
    c.find(Locator::Css("body")).await?.send_keys("s").await?;
    expect_text(c, ".notice", "Saved.").await?;
    expect_text(c, "li[data-answerable] .chip.result-compliant", "compliant").await?;

    // Bulk: two ticked requirements, partially compliant.
    for id in ["IP.2", "IP.3"] {
        let row = c.find(Locator::XPath(&format!("//li[span[@class='ref' and text()='{id}']]"))).await?;
        row.find(Locator::Css("input[type=checkbox]")).await?.click().await?;
    }
    c.find(Locator::Css("#b-result")).await?.select_by_value("partially-compliant").await?;
    c.find(Locator::Css("form#bulk button")).await?.click().await?;
    expect_text(c, ".notice", "Saved.").await?;
    expect_text(c, ".cards", "1 compliant · 2 partial").await?;
    c.find(Locator::Css("svg[aria-labelledby='hs-title'] rect")).await?;
    c.find(Locator::Css("form[action$='/status'] button")).await?.click().await?;
    expect_text(c, ".lead", "in-progress").await?;
    session.screenshot("assessment-workspace").await;
    c.goto(&format!("{base}/")).await?;
    expect_text(c, "main", "Internet security 2027").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_starts_and_answers_an_assessment() {
    if !enabled("browser end-to-end") {
        return;
    }
    let session = Session::start("e2e-assess").await;
    let app = TestApp::new(&session.db.store);
    let alpha = app.org("Alpha").await;
    let outcome = assess(&session.client, &session.base, &alpha.analyst.email, &session).await;
    session.finish("assessment", outcome).await;
}

/// An analyst records an incident, triages, contains and closes it.
async fn handle_incident(c: &Client, base: &str, analyst: &str, session: &Session) -> Flow {
    c.goto(&format!("{base}/login")).await?;
    fill(c, "#email", analyst).await?;
    fill(c, "#password", PASSWORD).await?;
    c.find(Locator::Css("form[action='/login'] button")).await?.click().await?;
    expect_text(c, "main h1", "Alpha").await?;
    c.find(Locator::LinkText("Incidents")).await?.click().await?;
    expect_text(c, "main h1", "Incidents of Alpha").await?;
    fill(c, "#i-title", "Ransomware on the file servers").await?;
    c.find(Locator::Css("#i-severity")).await?.select_by_value("4").await?;
    c.find(Locator::Css("#i-category")).await?.select_by_value("malicious-code").await?;
    c.find(Locator::Css("input[name=regimes][value=nis2]")).await?.click().await?;
    c.find(Locator::Css("form[action='/incidents'] button.primary")).await?.click().await?;
    expect_text(c, ".notice", "its clocks are running").await?;
    expect_text(c, "main table", "NIS2 early warning").await?;
    let move_to = |to: &'static str| async move {
        c.find(Locator::Css(&format!("form[action$='/transitions'] input[value='{to}'] ~ button")))
            .await?
            .click()
            .await?;
        expect_text(c, ".lead", to).await
    };
    move_to("triage").await?;
    move_to("containment").await?;
    // Containment keeps evidence: a memory image, with its chain of custody.
    let image = std::env::temp_dir().join(format!("fs01-memory-{}.raw", rampart_domain::new_id()));
    std::fs::write(&image, b"memory image of FS01").expect("a temporary file");
    c.find(Locator::Css("#ev-file")).await?.send_keys(&image.display().to_string()).await?;
    fill(c, "#ev-by", "DFIR on call").await?;
    c.find(Locator::Css("form[action$='/evidence'] button")).await?.click().await?;
    expect_text(c, ".notice", "chain of custody").await?;
    expect_text(c, "main", "DFIR on call").await?;
    c.execute("document.querySelector('code.hash').scrollIntoView()", vec![]).await?;
    session.screenshot("incident-evidence").await;
    for to in ["eradication", "recovery", "lessons-learned", "closed"] {
        move_to(to).await?;
    }
    session.screenshot("incident-closed").await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_reports_triages_contains_and_closes_an_incident() {
    if !enabled("browser end-to-end") {
        return;
    }
    let session = Session::start("e2e-incident").await;
    let app = TestApp::new(&session.db.store);
    let alpha = app.org("Alpha").await;
    let outcome = handle_incident(&session.client, &session.base, &alpha.analyst.email, &session).await;
    session.finish("incident", outcome).await;
}

/// An authority publishes an AMBER advisory to its community; a member's
/// analyst sees and acknowledges it; a non-member's does not see it.
async fn share_advisory(c: &Client, base: &str, people: (&str, &str, &str), session: &Session) -> Flow {
    let (authority, member, outsider) = people;
    let login = |who: &'static str, email: String| async move {
        c.goto(&format!("{base}/login")).await?;
        fill(c, "#email", &email).await?;
        fill(c, "#password", PASSWORD).await?;
        c.find(Locator::Css("form[action='/login'] button")).await?.click().await?;
        expect_text(c, "main h1", who).await
    };
    let logout = || async {
        c.find(Locator::Css("form[action='/logout'] button")).await?.click().await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    login("National CSIRT", authority.to_string()).await?;
    c.find(Locator::LinkText("Sharing")).await?.click().await?;
    expect_text(c, "main h1", "Sharing").await?;
    fill(c, "#a-title", "Patch the VPN concentrators now").await?;
    c.find(Locator::Css("#a-severity")).await?.select_by_value("critical").await?;
    c.find(Locator::Css("#a-tlp")).await?.select_by_value("amber").await?;
    fill(c, "#a-affected", "VPN concentrators before 9.2").await?;
    fill(c, "#a-actions", "Upgrade to 9.2 and rotate the VPN credentials").await?;
    c.find(Locator::Css("form[action='/sharing/advisories'] button")).await?.click().await?;
    expect_text(c, ".notice", "The advisory was published").await?;
    expect_text(c, "main table", "TLP:AMBER").await?;
    logout().await?;
    login("Alpha Hosting", member.to_string()).await?;
    c.goto(&format!("{base}/sharing")).await?;
    expect_text(c, "main table", "Patch the VPN concentrators now").await?;
    session.screenshot("sharing-feed").await;
    c.find(Locator::LinkText("Patch the VPN concentrators now")).await?.click().await?;
    expect_text(c, "main", "Upgrade to 9.2").await?;
    c.find(Locator::Css("form[action$='/acknowledge'] button")).await?.click().await?;
    expect_text(c, ".notice", "acknowledged the advisory").await?;
    session.screenshot("sharing-acknowledged").await;
    logout().await?;
    login("Beta Bank", outsider.to_string()).await?;
    c.goto(&format!("{base}/sharing")).await?;
    expect_text(c, "main", "Nothing shared with your organisation yet").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_publishes_an_amber_advisory_a_member_acknowledges_it_a_non_member_cannot_see_it() {
    if !enabled("browser end-to-end") {
        return;
    }
    let session = Session::start("e2e-sharing").await;
    let app = TestApp::new(&session.db.store);
    let authority = app.org("National CSIRT").await;
    let alpha = app.org("Alpha Hosting").await;
    let beta = app.org("Beta Bank").await;
    let ctx = ChangeContext::new("setup", "setup");
    let store = &session.db.store;
    let isac = store.create_community(&ctx, &authority.id, "Hosting ISAC", "").await.unwrap();
    store
        .add_community_member(&ctx, None, &isac.id, &alpha.id, rampart_domain::sharing::MemberRole::Reader)
        .await
        .unwrap();
    let people = (authority.analyst.email.as_str(), alpha.analyst.email.as_str(), beta.analyst.email.as_str());
    let outcome = share_advisory(&session.client, &session.base, people, &session).await;
    session.finish("sharing", outcome).await;
}
