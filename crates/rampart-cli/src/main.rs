//! `rampart`: the one binary. Runs the server and the operator commands
//! (accounts, audit verification, backup, export, demo data).
//!
//! Errors go to stderr with a non-zero exit; `--json` prints machine-readable
//! results where a script would read them.

mod assessment;
mod commands;
mod community;
mod cvss;
mod demo;
mod framework;
mod incident;
mod quant;
mod stix;
mod taxii;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "ISO/IEC 27032 in practice: assessment, risk, incidents and collaboration"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB[?sslmode=require]. Default: a SQLite file in the data directory.
    #[arg(long, env = "RAMPART_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Directory for Rampart's files (the default SQLite database lives here).
    #[arg(long, env = "RAMPART_DATA_DIR", default_value = "./rampart-data", global = true)]
    data_dir: PathBuf,
    /// Log format.
    #[arg(long, env = "RAMPART_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve(commands::ServeArgs),
    /// Bring the database schema up to date.
    Migrate,
    /// Manage organisations.
    #[command(subcommand)]
    Org(commands::OrgCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(commands::TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// Write a consistent snapshot of the whole database into one file (safe while serving).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Load a backup file. Refuses a database that holds data unless --force.
    Restore {
        file: PathBuf,
        /// Replace everything in a non-empty database.
        #[arg(long)]
        force: bool,
    },
    /// Write all data into a directory in a portable format (moves data between SQLite and PostgreSQL).
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Load an export directory into an empty database (or any, with --force).
    Import {
        dir: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Fill demo organisations so a newcomer sees a living system.
    Demo,
    /// Assessments: list, show, export.
    #[command(subcommand)]
    Assessment(assessment::AssessmentCommand),
    /// Incidents: list, show, export.
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// Communities of organisations that share under TLP 2.0.
    #[command(subcommand)]
    Community(community::CommunityCommand),
    /// Framework libraries: the built-in ones, loading your own, export.
    #[command(subcommand)]
    Framework(framework::FrameworkCommand),
    /// The threat catalog of the risk register.
    #[command(subcommand)]
    Threat(commands::ThreatCommand),
    /// Open FAIR risk quantification.
    #[command(subcommand)]
    Quant(QuantCommand),
    /// STIX 2.1: match patterns against observed data; import and export collections.
    #[command(subcommand)]
    Stix(stix::StixCommand),
    /// TAXII 2.1: the collections it serves.
    #[command(subcommand)]
    Taxii(taxii::TaxiiCommand),
    /// Score CVSS v4.0 vectors: prints `VECTOR SCORE SEVERITY` per vector.
    Cvss {
        /// Vectors such as CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N.
        vectors: Vec<String>,
        /// Read one vector per line from standard input (after any given as arguments).
        #[arg(long)]
        stdin: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum QuantCommand {
    /// Simulate a model file and print the annual loss distribution of each scenario and the portfolio.
    Run(quant::RunArgs),
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        // Pure computations log nothing and need no database and no async
        // runtime (nor the runtime's worker threads competing with the
        // simulation's): they start at once.
        Command::Cvss { vectors, stdin, json } => cvss::run(vectors, stdin, json),
        Command::Quant(QuantCommand::Run(args)) => quant::run(args),
        Command::Stix(command @ stix::StixCommand::Match { .. }) => Ok(stix::run(command)),
        command => {
            init_logging(cli.global.log_format);
            match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(commands::run(cli.global, command)),
                Err(e) => Err(anyhow::anyhow!("cannot start the runtime: {e}")),
            }
        }
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
