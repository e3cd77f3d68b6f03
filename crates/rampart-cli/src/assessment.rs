//! `rampart assessment`: list, show and export assessments for operators
//! and compliance-as-code pipelines.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use rampart_domain::PageRequest;
use rampart_server::oscal_export::OscalExport;
use rampart_store::{Assessment, AssessmentFilter, ResultRow, Store};
use serde_json::json;

use crate::Global;
use crate::commands::{open, organisation, print_json};

#[derive(Subcommand)]
pub enum AssessmentCommand {
    /// List assessments with their scores: of one organisation, or of all.
    List {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show an assessment's scores by section.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write an assessment's answers.
    Export {
        id: String,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One row per assessed requirement.
    Csv,
    /// The assessment with its scores and one object per assessed requirement.
    Json,
    /// OSCAL 1.1 assessment results.
    OscalAr,
    /// An OSCAL plan of action and milestones for the open findings.
    Poam,
}

fn percent(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "n/a".into())
}

fn summary_json(a: &Assessment) -> serde_json::Value {
    json!({
        "id": a.id, "name": a.fields.name, "framework": a.framework_name, "framework_id": a.framework_id,
        "status": a.status, "groups": a.fields.groups, "roll_up": a.fields.roll_up, "due_date": a.fields.due_date,
        "summary": a.summary
    })
}

async fn all_assessments(store: &Store, org_id: &str) -> anyhow::Result<Vec<Assessment>> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let got = store.list_assessments(org_id, &AssessmentFilter::default(), &page).await?;
        out.extend(got.items);
        match got.next {
            Some(next) => page = PageRequest { limit: 500, after: Some(next) },
            None => return Ok(out),
        }
    }
}

pub async fn run(global: &Global, cmd: AssessmentCommand) -> anyhow::Result<ExitCode> {
    let store = open(global).await?;
    match cmd {
        AssessmentCommand::List { org, json } => {
            let orgs = match org {
                Some(name) => vec![organisation(&store, &name).await?],
                None => store.list_orgs(&PageRequest::first(500)).await?.items,
            };
            let mut rows = Vec::new();
            for org in &orgs {
                for a in all_assessments(&store, &org.id).await? {
                    rows.push((org.name.clone(), a));
                }
            }
            if json {
                print_json(json!(
                    rows.iter()
                        .map(|(o, a)| {
                            let mut v = summary_json(a);
                            v["organisation"] = json!(o);
                            v
                        })
                        .collect::<Vec<_>>()
                ));
            } else {
                for (o, a) in &rows {
                    println!(
                        "{}\t{}\t{}\t{}\tcompliance {}\tanswered {}\t{}",
                        a.id,
                        o,
                        a.status,
                        a.framework_name,
                        percent(a.summary.compliance),
                        percent(a.summary.progress),
                        a.fields.name
                    );
                }
            }
        }
        AssessmentCommand::Show { id, json } => {
            let a = assessment(&store, &id).await?;
            if json {
                print_json(summary_json(&a));
            } else {
                let s = &a.summary;
                println!("{} ({}) — {}", a.fields.name, a.framework_name, a.status);
                println!(
                    "compliance {}  maturity {}  points {:.1} of {:.0}  answered {}",
                    percent(s.compliance),
                    s.maturity.map(|m| format!("{m:.2}")).unwrap_or_else(|| "n/a".into()),
                    s.points_earned,
                    s.points_possible,
                    percent(s.progress)
                );
                println!(
                    "{} compliant, {} partially compliant, {} non-compliant, {} not applicable, {} not assessed",
                    s.results[1], s.results[2], s.results[3], s.results[4], s.results[0]
                );
                for h in &s.headings {
                    println!("  {}\t{}\t{}", h.ref_id, percent(h.compliance), h.title);
                }
            }
        }
        AssessmentCommand::Export { id, format, out } => {
            let a = assessment(&store, &id).await?;
            let org = store.organisation_of_assessment(&id).await?;
            let workspace = store.workspace(&org.id, &id).await?;
            let rows: Vec<ResultRow> = workspace.result_rows();
            let oscal = |kind: OscalExport| serde_json::to_string_pretty(&kind.document(&workspace, &org.name));
            let text = match format {
                ExportFormat::Csv => rampart_domain::csv::to_csv(ResultRow::COLUMNS, &rows),
                ExportFormat::Json => {
                    let mut v = summary_json(&a);
                    v["requirements"] = json!(rows);
                    serde_json::to_string_pretty(&v)? + "\n"
                }
                ExportFormat::OscalAr => oscal(OscalExport::AssessmentResults)? + "\n",
                ExportFormat::Poam => oscal(OscalExport::Poam)? + "\n",
            };
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

async fn assessment(store: &Store, id: &str) -> anyhow::Result<Assessment> {
    let missing = || anyhow::anyhow!("no assessment {id:?}; `rampart assessment list` shows their ids");
    let org = store.organisation_of_assessment(id).await.map_err(|_| missing())?;
    store.assessment(&org.id, id).await.map_err(|_| missing())
}
