//! `rampart framework`: the built-in library, loading libraries into an
//! organisation, and exporting them in Rampart's YAML format.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use rampart_domain::PageRequest;
use rampart_frameworks::{BUILT_IN, Library};
use rampart_store::{ChangeContext, FrameworkImport, Organisation, SOURCE_BUILT_IN, SOURCE_OSCAL, SOURCE_YAML, Store};
use serde_json::json;

use crate::Global;
use crate::commands::{open, organisation, print_json};

#[derive(Subcommand)]
pub enum FrameworkCommand {
    /// List the built-in library, or with --org the frameworks an organisation has loaded.
    List {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Load a library file into an organisation: Rampart's YAML format, an OSCAL catalog, or an OSCAL
    /// profile (with --catalog), told apart by content. A higher version of a loaded URN upgrades it in place.
    Import {
        file: PathBuf,
        #[arg(long)]
        org: String,
        /// The OSCAL catalog that a profile imports.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Load under this URN instead of the file's own (OSCAL catalogs have none that stays across publications).
        #[arg(long)]
        urn: Option<String>,
        /// Add the file's statements and guidance to this loaded framework instead (nodes matched by ref_id),
        /// such as NIST's OSCAL catalog of CSF 2.0 into urn:rampart:framework:nist-csf-2.0.
        #[arg(long)]
        into: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Load a built-in library (see `rampart framework list`) into an organisation.
    Load {
        urn: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a library in Rampart's YAML format: the organisation's loaded one with --org, else the built-in.
    Export {
        urn: String,
        #[arg(long)]
        org: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Largest library file read (SP 800-53 with every enhancement is a few MB).
const MAX_LIBRARY_BYTES: u64 = 64 * 1024 * 1024;

pub async fn run(global: &Global, cmd: FrameworkCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        FrameworkCommand::List { org: None, json } => {
            list_built_in(json);
            Ok(ExitCode::SUCCESS)
        }
        FrameworkCommand::List { org: Some(org), json } => {
            let store = open(global).await?;
            let org = organisation(&store, &org).await?;
            list_loaded(&store, &org, json).await
        }
        FrameworkCommand::Import { file, org, catalog, urn, into, json } => {
            let text = read_text(&file)?;
            let catalog_text = catalog.as_ref().map(read_text).transpose()?;
            let (library, format) =
                rampart_oscal::read_library(&text, catalog_text.as_deref(), &rampart_oscal::ReadOptions { urn })
                    .map_err(|e| anyhow::anyhow!("{}", e.in_source(&file.display().to_string())))?;
            let store = open(global).await?;
            let org = organisation(&store, &org).await?;
            let ctx = ChangeContext::cli();
            if let Some(into) = into {
                let target = store.framework_by_urn(&org.id, &into).await.map_err(|_| {
                    anyhow::anyhow!("{} has not loaded {into}; see `rampart framework list --org`", org.name)
                })?;
                let done = store.enrich_framework(&ctx, &org.id, &target.id, &library).await?;
                if json {
                    print_json(json!({"organisation": org.name, "id": target.id, "urn": target.urn,
                        "enriched": done.enriched, "not_in_framework": done.not_in_framework}));
                } else {
                    println!(
                        "{}: statements and guidance of {} nodes taken from {}; {} of its nodes are not in the framework",
                        target.name,
                        done.enriched,
                        file.display(),
                        done.not_in_framework.len()
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let source = match format {
                rampart_oscal::SourceFormat::Rampart => SOURCE_YAML,
                rampart_oscal::SourceFormat::Oscal => SOURCE_OSCAL,
            };
            let done = store.import_framework(&ctx, &org.id, &library, source).await?;
            report(&org, &done, json);
            Ok(ExitCode::SUCCESS)
        }
        FrameworkCommand::Load { urn, org, json } => {
            let library = built_in(&urn)?;
            let store = open(global).await?;
            let org = organisation(&store, &org).await?;
            let done = store.import_framework(&ChangeContext::cli(), &org.id, &library, SOURCE_BUILT_IN).await?;
            report(&org, &done, json);
            Ok(ExitCode::SUCCESS)
        }
        FrameworkCommand::Export { urn, org, out } => {
            let library = match org {
                None => built_in(&urn)?,
                Some(org) => {
                    let store = open(global).await?;
                    let org = organisation(&store, &org).await?;
                    let framework = store.framework_by_urn(&org.id, &urn).await.map_err(|_| {
                        anyhow::anyhow!("{} has not loaded {urn}; see `rampart framework list --org`", org.name)
                    })?;
                    store.framework_library(&org.id, &framework.id).await?
                }
            };
            let yaml = rampart_frameworks::to_yaml(&library);
            match out {
                Some(path) => {
                    std::fs::write(&path, yaml).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{yaml}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn built_in(urn: &str) -> anyhow::Result<Library> {
    rampart_frameworks::built_in(urn)
        .ok_or_else(|| anyhow::anyhow!("no built-in library {urn:?}; `rampart framework list` shows them"))
}

fn read_text(file: &PathBuf) -> anyhow::Result<String> {
    let size = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
    if size > MAX_LIBRARY_BYTES {
        bail!("{} is {size} bytes; a library may be at most {MAX_LIBRARY_BYTES}", file.display());
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {} as UTF-8 text", file.display()))
}

fn list_built_in(json: bool) {
    let libraries: Vec<Library> = BUILT_IN.iter().filter_map(|b| rampart_frameworks::built_in(b.urn)).collect();
    if json {
        print_json(json!(
            libraries
                .iter()
                .map(|l| json!({"urn": l.urn, "version": l.version, "name": l.name, "provider": l.provider,
                    "nodes": l.requirements.len(), "assessable": l.assessable().count()}))
                .collect::<Vec<_>>()
        ));
        return;
    }
    for l in &libraries {
        println!("{}\tv{}\t{} assessable\t{}", l.urn, l.version, l.assessable().count(), l.name);
    }
}

async fn list_loaded(store: &Store, org: &Organisation, json: bool) -> anyhow::Result<ExitCode> {
    let mut frameworks = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let got = store.list_frameworks(&org.id, &page).await?;
        frameworks.extend(got.items);
        match got.next {
            Some(next) => page = PageRequest { limit: 500, after: Some(next) },
            None => break,
        }
    }
    if json {
        print_json(json!(
            frameworks
                .iter()
                .map(|f| json!({"id": f.id, "urn": f.urn, "version": f.version, "name": f.name, "source": f.source,
                    "nodes": f.nodes, "assessable": f.assessable}))
                .collect::<Vec<_>>()
        ));
    } else {
        for f in &frameworks {
            println!("{}\tv{}\t{} assessable\t{}\t{}", f.urn, f.version, f.assessable, f.source, f.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report(org: &Organisation, done: &FrameworkImport, json: bool) {
    let f = &done.framework;
    if json {
        print_json(json!({
            "organisation": org.name, "id": f.id, "urn": f.urn, "version": f.version,
            "previous_version": done.previous_version, "created": done.created, "updated": done.updated,
            "withdrawn": done.withdrawn, "assessable": f.assessable
        }));
        return;
    }
    match done.previous_version {
        None => println!(
            "{} v{} loaded into {}: {} nodes, {} assessable",
            f.name, f.version, org.name, f.nodes, f.assessable
        ),
        Some(old) => println!(
            "{} upgraded from v{old} to v{} in {}: {} new, {} updated, {} withdrawn",
            f.name, f.version, org.name, done.created, done.updated, done.withdrawn
        ),
    }
}
