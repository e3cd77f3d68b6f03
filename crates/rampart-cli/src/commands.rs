//! What each subcommand does.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rampart_domain::credentials::{check_password_rules, hash_password, random_hex};
use rampart_domain::sealed::SecretKey;
use rampart_domain::validate::duration_secs;
use rampart_domain::{OrgKind, PageRequest, Role};
use rampart_server::{AppState, ServerConfig, Tls};
use rampart_store::{ChangeContext, Store, StoreError, default_sqlite_url};
use rampart_taxii_client::{Puller, Reach};
use serde_json::json;

use crate::{Command, Global};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "RAMPART_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// TLS certificate chain (PEM). Serving TLS also makes cookies Secure and sends HSTS.
    #[arg(long, env = "RAMPART_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "RAMPART_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Behind a proxy that terminates TLS: mark cookies Secure and send HSTS.
    #[arg(long, env = "RAMPART_BEHIND_TLS_PROXY")]
    behind_tls_proxy: bool,
    /// Largest evidence file an assessment or incident takes, in bytes (25 MiB by default).
    #[arg(long, env = "RAMPART_EVIDENCE_MAX_BYTES", default_value_t = rampart_server::EVIDENCE_BODY_LIMIT)]
    evidence_max_bytes: usize,
    /// SMTP server for e-mail notifications: smtp://host:25, smtp://host:587?tls=required
    /// (STARTTLS) or smtps://host:465, with user:password@ when it asks for a login.
    #[arg(long, env = "RAMPART_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender address of e-mail notifications.
    #[arg(long, env = "RAMPART_SMTP_FROM", default_value = "rampart@localhost")]
    smtp_from: String,
    /// Let TAXII subscriptions reach this instance's own network (loopback, private and
    /// link-local addresses); off, they reach public addresses only.
    #[arg(long, env = "RAMPART_ALLOW_PRIVATE_FEEDS")]
    allow_private_feeds: bool,
    /// Publish the public feed at /public/feed (and /public/feed.json): items marked TLP:CLEAR
    /// and sent to everyone, readable without signing in.
    #[arg(long, env = "RAMPART_PUBLIC_FEED")]
    public_feed: bool,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        name: String,
        /// provider, consumer, authority, coordinator or law-enforcement.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        json: bool,
    },
    /// List organisations.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account (or add an existing one) as a member of an organisation.
    Create {
        email: String,
        #[arg(long)]
        org: String,
        /// admin, analyst, auditor or viewer.
        #[arg(long)]
        role: String,
        /// Read the password from standard input; otherwise a random one is printed.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a member; the secret is printed once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// Lifetime such as 90d, 12h or 30m; none means no expiry.
        #[arg(long)]
        expires_in: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ThreatCommand {
    /// Import the techniques of a MITRE ATT&CK STIX 2.1 bundle as threats (refreshing earlier imports by ATT&CK id).
    ImportAttack {
        file: PathBuf,
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
}

/// Largest bundle file read (ATT&CK Enterprise is about 45 MB).
const MAX_BUNDLE_BYTES: u64 = 200 * 1024 * 1024;

async fn threat(global: &Global, cmd: ThreatCommand) -> anyhow::Result<ExitCode> {
    let ThreatCommand::ImportAttack { file, org, json } = cmd;
    let size = std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?.len();
    if size > MAX_BUNDLE_BYTES {
        bail!("{} is {size} bytes; bundles may be at most {MAX_BUNDLE_BYTES}", file.display());
    }
    let reader =
        std::io::BufReader::new(std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?);
    let bundle: serde_json::Value =
        serde_json::from_reader(reader).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", file.display()))?;
    let threats =
        rampart_domain::threat::attack_threats(&bundle).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let store = open(global).await?;
    let org = organisation(&store, &org).await?;
    let source = bundle.get("id").and_then(|i| i.as_str()).unwrap_or("bundle").to_string();
    let done = store.import_threats(&ChangeContext::cli(), &org.id, &source, &threats).await?;
    if json {
        print_json(
            json!({"organisation": org.name, "techniques": threats.len(), "created": done.created, "updated": done.updated}),
        );
    } else {
        println!(
            "{} techniques from {}: {} new, {} refreshed in {}",
            threats.len(),
            file.display(),
            done.created,
            done.updated,
            org.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chains; exits non-zero naming the first broken record.
    Verify {
        /// Only this organisation's chain.
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn database_url(global: &Global) -> String {
    global.database_url.clone().unwrap_or_else(|| default_sqlite_url(&global.data_dir))
}

pub(crate) async fn open(global: &Global) -> anyhow::Result<Store> {
    let store = Store::open(&database_url(global)).await?;
    Ok(match secret_key(&global.data_dir)? {
        Some(key) => store.with_secret_key(key),
        None => store,
    })
}

/// The key that seals stored credentials: `RAMPART_SECRET_KEY` (64
/// hexadecimal digits; every server of a PostgreSQL deployment needs the
/// same), else `secret.key` in the data directory, made on first use. When
/// neither can be had, none: storing a credential then says what to set.
fn secret_key(data_dir: &std::path::Path) -> anyhow::Result<Option<SecretKey>> {
    if let Ok(hex) = std::env::var("RAMPART_SECRET_KEY") {
        return Ok(Some(SecretKey::from_hex(&hex).context("RAMPART_SECRET_KEY")?));
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(SecretKey::from_hex(&text).with_context(|| format!("{}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hex = SecretKey::generate_hex();
            let written = std::fs::create_dir_all(data_dir).and_then(|()| write_private(&path, &hex));
            match written {
                Ok(()) => Ok(Some(SecretKey::from_hex(&hex)?)),
                // Another process made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Ok(Some(SecretKey::from_hex(&std::fs::read_to_string(&path)?)?))
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot create the secret key file; credentials cannot be stored");
                    Ok(None)
                }
            }
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}

/// Creates `path` readable by its owner only, failing if it exists.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The organisation with this name, or an error that says how to find names.
pub(crate) async fn organisation(store: &Store, name: &str) -> anyhow::Result<rampart_store::Organisation> {
    store.org_by_name(name).await.map_err(|_| anyhow::anyhow!("no organisation named {name:?}; see `rampart org list`"))
}

pub(crate) fn print_json(value: serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
}

pub async fn run(global: Global, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(&global, args).await,
        Command::Migrate => {
            let store = Store::connect(&database_url(&global)).await?;
            let applied = store.migrate().await?;
            let newest = store.applied_migrations().await?.last().map(|m| m.0).unwrap_or(0);
            println!("applied {applied} migration(s); the schema is at version {newest}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Org(cmd) => org(&global, cmd).await,
        Command::User(cmd) => user(&global, cmd).await,
        Command::Token(cmd) => token(&global, cmd).await,
        Command::Threat(cmd) => threat(&global, cmd).await,
        Command::Framework(cmd) => crate::framework::run(&global, cmd).await,
        Command::Assessment(cmd) => crate::assessment::run(&global, cmd).await,
        Command::Incident(cmd) => crate::incident::run(&global, cmd).await,
        Command::Community(cmd) => crate::community::run(&global, cmd).await,
        Command::Audit(AuditCommand::Verify { org, json }) => audit_verify(&global, org, json).await,
        Command::Backup { out } => {
            let counts = open(&global).await?.backup(&out).await?;
            println!("backed up {} rows into {}", counts.iter().map(|c| c.1).sum::<u64>(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file, force } => {
            let counts = open(&global).await?.restore(&file, force).await.map_err(force_hint)?;
            println!("restored {} rows from {}", counts.iter().map(|c| c.1).sum::<u64>(), file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { out } => {
            let counts = open(&global).await?.export(&out).await?;
            for (table, n) in &counts {
                println!("{table}: {n}");
            }
            println!("exported into {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { dir, force } => {
            let counts = open(&global).await?.import(&dir, force).await.map_err(force_hint)?;
            println!("imported {} rows from {}", counts.iter().map(|c| c.1).sum::<u64>(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => crate::demo::run(&open(&global).await?).await,
        Command::Cvss { vectors, stdin, json } => crate::cvss::run(vectors, stdin, json),
        Command::Quant(crate::QuantCommand::Run(args)) => crate::quant::run(args),
        Command::Stix(command @ crate::stix::StixCommand::Match { .. }) => Ok(crate::stix::run(command)),
        Command::Stix(command) => crate::stix::store_command(&global, command).await,
        Command::Taxii(command) => crate::taxii::taxii(&global, command).await,
    }
}

fn force_hint(e: StoreError) -> anyhow::Error {
    anyhow::Error::new(e)
}

async fn serve(global: &Global, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = open(global).await.context("cannot start: the database is not usable")?;
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(Tls { cert, key }),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if store.is_empty().await? {
        let password = random_hex(12);
        let hash = tokio::task::spawn_blocking(move || hash_password(&password).map(|h| (h, password))).await??;
        if store.create_first_superadmin("admin@localhost", &hash.0).await? {
            // Printed once, to the terminal only: never through the logger.
            println!(
                "\nRampart is ready for its first login:\n  URL:      {scheme}://{}/login\n  e-mail:   admin@localhost\n  password: {}\nChange the password after logging in (Settings → Profile).\n",
                args.addr, hash.1
            );
        }
    }
    let config = ServerConfig {
        secure_cookies: tls.is_some() || args.behind_tls_proxy,
        files_dir: global.data_dir.join("files"),
        evidence_limit: args.evidence_max_bytes,
        public_feed: args.public_feed,
        ..ServerConfig::default()
    };
    let listener = std::net::TcpListener::bind(args.addr).with_context(|| format!("cannot listen on {}", args.addr))?;
    tracing::info!(addr = %args.addr, backend = ?store.backend(), "listening on {scheme}://{}", args.addr);
    let smtp = match &args.smtp_url {
        Some(url) => Some(rampart_notify::Smtp::new(url, &args.smtp_from).context("cannot start: --smtp-url")?),
        None => None,
    };
    // Deliveries go out from a worker beside the server, stopped after it.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(rampart_notify::Notifier::new(store.clone(), smtp).run(async {
        let _ = stopped.await;
    }));
    // Scheduled TAXII pulls, likewise.
    let reach = if args.allow_private_feeds { Reach::Any } else { Reach::Public };
    let puller = Puller::new(store.clone(), reach);
    let (stop_pulls, pulls_stopped) = tokio::sync::oneshot::channel::<()>();
    let pulls = tokio::spawn(puller.clone().run(async {
        let _ = pulls_stopped.await;
    }));
    let state = AppState::new(store.clone(), config).with_puller(puller);
    rampart_server::serve(state, listener, tls, shutdown_signal()).await?;
    let _ = stop.send(());
    let _ = stop_pulls.send(());
    let _ = worker.await;
    let _ = pulls.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn org(global: &Global, cmd: OrgCommand) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    match cmd {
        OrgCommand::Create { name, kind, json } => {
            let kind = OrgKind::parse(&kind)?;
            let org = store.create_org(&ChangeContext::cli(), &name, kind, None).await?;
            if json {
                print_json(json!({"id": org.id, "name": org.name, "kind": org.kind}));
            } else {
                println!("created organisation {} ({}) with id {}", org.name, org.kind, org.id);
            }
        }
        OrgCommand::List { json } => {
            let mut all = Vec::new();
            let mut page = PageRequest::first(500);
            loop {
                let got = store.list_orgs(&page).await?;
                all.extend(got.items);
                match got.next {
                    Some(n) => page.after = Some(n),
                    None => break,
                }
            }
            if json {
                print_json(json!(
                    all.iter().map(|o| json!({"id": o.id, "name": o.name, "kind": o.kind})).collect::<Vec<_>>()
                ));
            } else {
                for o in all {
                    println!("{}\t{}\t{}", o.name, o.kind, o.id);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn user(global: &Global, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Create { email, org, role, password_stdin, json } = cmd;
    let store = open(global).await?;
    let role = Role::parse(&role)?;
    let email = rampart_domain::validate::email(&email)?;
    let org = organisation(&store, &org).await?;
    let existing = match store.user_by_email(&email).await {
        Ok(_) => true,
        Err(StoreError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    let (hash, generated) = if existing {
        if password_stdin {
            bail!(
                "{email} already has an account; its password stays as it is (they change it under Settings → Profile)"
            );
        }
        (None, None)
    } else {
        let (password, generated) = if password_stdin {
            let mut text = String::new();
            std::io::stdin()
                .take(2048)
                .read_to_string(&mut text)
                .context("cannot read the password from standard input")?;
            (text.trim_end_matches(['\r', '\n']).to_string(), false)
        } else {
            (random_hex(12), true)
        };
        check_password_rules(&password, &email)?;
        let pw = password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw)).await??;
        (Some(hash), generated.then_some(password))
    };
    let member = store.add_member(&ChangeContext::cli(), &org.id, &email, role, hash.as_deref()).await?;
    if json {
        print_json(
            json!({"user_id": member.user_id, "email": member.email, "organisation": org.name, "role": member.role, "password": generated}),
        );
    } else {
        println!("{} is now {} of {}", member.email, member.role, org.name);
        if let Some(p) = generated {
            println!("initial password: {p}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn token(global: &Global, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create { user, org, name, expires_in, json } = cmd;
    let store = open(global).await?;
    let org = organisation(&store, &org).await?;
    let account = store.user_by_email(&user).await.map_err(|_| anyhow::anyhow!("no account {user:?}"))?;
    let expires_at = expires_in
        .as_deref()
        .map(|e| duration_secs("expires-in", e))
        .transpose()?
        .map(|s| rampart_store::now_ms() + s * 1000);
    let (token, secret) = store
        .create_token(&ChangeContext::cli(), &org.id, &account.id, &name, expires_at)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => anyhow::anyhow!("{user} is not a member of {}", org.name),
            other => other.into(),
        })?;
    if json {
        print_json(json!({"id": token.id, "name": token.name, "secret": secret, "expires_at": token.expires_at}));
    } else {
        println!("{secret}");
        eprintln!(
            "token {:?} created for {} in {}; the secret above is shown only once",
            token.name, account.email, org.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(global: &Global, org: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    let chain = match &org {
        Some(name) => Some(organisation(&store, name).await?.id),
        None => None,
    };
    let reports = store.verify_audit(chain.as_deref()).await?;
    let names = store.list_orgs(&PageRequest::first(500)).await?.items;
    let label =
        |chain: &str| names.iter().find(|o| o.id == chain).map(|o| o.name.clone()).unwrap_or_else(|| chain.to_string());
    let broken = reports.iter().any(|r| r.result.is_err());
    if json {
        print_json(json!(reports.iter().map(|r| match &r.result {
            Ok(n) => json!({"chain": r.chain, "organisation": label(&r.chain), "intact": true, "records": n}),
            Err(b) => json!({"chain": r.chain, "organisation": label(&r.chain), "intact": false, "broken_at": b.seq, "reason": b.reason}),
        }).collect::<Vec<_>>()));
    } else {
        if reports.is_empty() {
            println!("no audit records yet");
        }
        for r in &reports {
            match &r.result {
                Ok(n) => println!("{}: intact, {n} records", label(&r.chain)),
                Err(b) => eprintln!("{}: BROKEN at record {}: {}", label(&r.chain), b.seq, b.reason),
            }
        }
    }
    Ok(if broken { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
