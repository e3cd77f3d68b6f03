//! `rampart incident`: list, show and export incidents.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use rampart_domain::PageRequest;
use rampart_store::{IncidentDetail, IncidentFilter, Store};
use serde_json::json;

use crate::Global;
use crate::commands::{open, organisation, print_json};

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// List incidents: of one organisation, or of all.
    List {
        #[arg(long)]
        org: Option<String>,
        /// Only those neither dismissed nor closed.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show an incident with its clocks, observables, evidence and timeline.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write an incident and everything about it.
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
}

fn time(ms: i64) -> String {
    rampart_server::api_time(ms)
}

async fn detail(store: &Store, id: &str) -> anyhow::Result<IncidentDetail> {
    let missing = || anyhow::anyhow!("no incident {id:?}; `rampart incident list` shows their ids");
    let org = store.organisation_of_incident(id).await.map_err(|_| missing())?;
    store.incident_detail(&org.id, id).await.map_err(|_| missing())
}

pub async fn run(global: &Global, cmd: IncidentCommand) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    match cmd {
        IncidentCommand::List { org, open: only_open, json } => {
            let orgs = match org {
                Some(name) => vec![organisation(&store, &name).await?],
                None => store.list_orgs(&PageRequest::first(500)).await?.items,
            };
            let filter = IncidentFilter { open: only_open, ..Default::default() };
            let mut rows = Vec::new();
            for org in &orgs {
                let mut page = PageRequest::first(500);
                loop {
                    let got = store.list_incidents(&org.id, &filter, &page).await?;
                    rows.extend(got.items.into_iter().map(|i| (org.name.clone(), i)));
                    match got.next {
                        Some(next) => page = PageRequest { limit: 500, after: Some(next) },
                        None => break,
                    }
                }
            }
            if json {
                print_json(json!(rows.iter().map(|(o, i)| json!({
                    "organisation": o, "id": i.id, "title": i.fields.title, "state": i.state, "category": i.fields.category,
                    "severity": i.fields.severity, "aware_at": time(i.fields.aware_at)
                })).collect::<Vec<_>>()));
            } else {
                for (o, i) in &rows {
                    println!(
                        "{}\t{}\t{}\tseverity {}\t{}\t{}",
                        i.id, o, i.state, i.fields.severity, i.fields.category, i.fields.title
                    );
                }
            }
        }
        IncidentCommand::Show { id, json } => {
            let d = detail(&store, &id).await?;
            if json {
                print_json(rampart_server::incident_document(&d));
            } else {
                let i = &d.incident;
                println!("{} — {} (severity {}, {})", i.fields.title, i.state, i.fields.severity, i.fields.category);
                println!("aware since {}", time(i.fields.aware_at));
                if let Some(into) = &i.merged_into {
                    println!("merged into incident {into}");
                }
                for o in &d.obligations {
                    let due = o.due_at.map(time).unwrap_or_else(|| "when classified".into());
                    println!("  {}\tdue {}\t{}", o.name, due, o.state);
                }
                for o in &d.observables {
                    let also = match o.seen_in.len() {
                        0 => String::new(),
                        1 => " (also in 1 other incident)".to_string(),
                        n => format!(" (also in {n} other incidents)"),
                    };
                    println!("  {} {}{also}", o.kind, o.value);
                }
                for e in &d.evidence {
                    println!(
                        "  evidence {}\tsha256 {}\theld by {}\t{} custody entries",
                        e.name,
                        e.sha256,
                        e.holder(),
                        e.custody.len()
                    );
                }
                for e in &d.timeline {
                    let origin = e.origin.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default();
                    println!("  {}\t{}\t{}\t{}{origin}", time(e.at), e.actor, e.kind, e.text);
                }
            }
        }
        IncidentCommand::Export { id, format: Format::Json, out } => {
            let d = detail(&store, &id).await?;
            let text = serde_json::to_string_pretty(&rampart_server::incident_document(&d))? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
