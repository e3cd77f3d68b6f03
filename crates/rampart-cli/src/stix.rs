//! `rampart stix`: STIX 2.1 from the command line. `match` behaves like the
//! OASIS `stix2-matcher` command (same output, same exit codes), so scripts
//! written for it keep working.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use rampart_stix::pattern::{IndexBuilder, Observations, Pattern};

/// Largest observations file `match` reads.
const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Subcommand)]
pub enum StixCommand {
    /// Match STIX patterns against observed data: prints `MATCH:  <pattern>` or
    /// `NO MATCH:  <pattern>` for each; exits 0 when all match, 1 when some do
    /// not, 2 on an error.
    Match {
        /// One pattern per line; blank lines and lines starting with # are skipped.
        patterns: PathBuf,
        /// A STIX 2.1 bundle (or a list of bundles) holding observed-data objects and the observables they reference.
        bundle: PathBuf,
        /// Once: print only NO MATCH lines; twice: print neither.
        #[arg(short, long, action = clap::ArgAction::Count)]
        quiet: u8,
        /// Print to standard error how long reading and matching took.
        #[arg(long)]
        timings: bool,
        /// Match each pattern on its own instead of through the indicator index (to compare).
        #[arg(long)]
        one_by_one: bool,
        /// Match everything this many times (for measuring; the output is as for once).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        repeat: u32,
    },
    /// Add the objects of a STIX 2.1 bundle to a collection, streaming: each version (by `modified`) once;
    /// invalid objects reported with their index and reason, the valid ones kept (exit 1 if any was refused).
    Import {
        file: PathBuf,
        #[arg(long)]
        collection: String,
    },
    /// Write the latest version of every object of a collection as a STIX 2.1 bundle.
    Export {
        #[arg(long)]
        collection: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// `rampart stix import` and `rampart stix export`.
pub async fn store_command(global: &crate::Global, command: StixCommand) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let store = crate::commands::open(global).await?;
    match command {
        StixCommand::Match { .. } => unreachable!("matching needs no database"),
        StixCommand::Import { file, collection } => {
            let target = store
                .collection_by_id(&collection)
                .await
                .map_err(|_| anyhow::anyhow!("no collection with id {collection}"))?;
            let reader = std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let (read, report) = store
                .import_bundle(&rampart_store::ChangeContext::cli(), &target.org_id, &target.id, reader)
                .await
                .with_context(|| format!("{} was not imported", file.display()))?;
            for refused in &report.refused {
                eprintln!("refused {refused}");
            }
            println!(
                "read {read} objects from {}: {} versions added, {} already in the collection, {} refused",
                file.display(),
                report.added,
                report.present,
                report.refused_count
            );
            Ok(if report.refused_count > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        StixCommand::Export { collection, out } => {
            let target = store
                .collection_by_id(&collection)
                .await
                .map_err(|_| anyhow::anyhow!("no collection with id {collection}"))?;
            let file = std::fs::File::create(&out).with_context(|| format!("cannot write {}", out.display()))?;
            let mut writer = rampart_stix::BundleWriter::new(std::io::BufWriter::new(file))?;
            let mut failed = None;
            let count = store
                .export_stix(&target.org_id, &target.id, |object| {
                    if failed.is_none()
                        && let Err(e) = writer.object(&object)
                    {
                        failed = Some(e);
                    }
                })
                .await?;
            if let Some(e) = failed {
                anyhow::bail!("cannot write {}: {e}", out.display());
            }
            writer.finish()?;
            println!("wrote {count} objects to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn run(command: StixCommand) -> ExitCode {
    let StixCommand::Match { patterns, bundle, quiet, timings, one_by_one, repeat } = command else {
        unreachable!("only matching runs without a database")
    };
    match match_patterns(&patterns, &bundle, Options { quiet, timings, one_by_one, repeat }) {
        Ok(all_matched) => ExitCode::from(if all_matched { 0 } else { 1 }),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

struct Options {
    quiet: u8,
    timings: bool,
    one_by_one: bool,
    repeat: u32,
}

fn match_patterns(patterns: &Path, bundle: &Path, options: Options) -> anyhow::Result<bool> {
    let Options { quiet, timings, one_by_one, repeat } = options;
    use anyhow::Context;
    let started = Instant::now();
    let size = std::fs::metadata(bundle).with_context(|| format!("cannot read {}", bundle.display()))?.len();
    if size > MAX_BUNDLE_BYTES {
        anyhow::bail!("{} is {size} bytes; at most {MAX_BUNDLE_BYTES} are read", bundle.display());
    }
    let json: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(std::fs::File::open(bundle)?))
        .with_context(|| format!("{} is not JSON", bundle.display()))?;
    let observations = Observations::from_value(json).with_context(|| format!("{}", bundle.display()))?;
    let text = std::fs::read_to_string(patterns).with_context(|| format!("cannot read {}", patterns.display()))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let read = started.elapsed();

    let started = Instant::now();
    let where_ = |number: usize, line: &str| format!("{}:{number}: {line}", patterns.display());
    // Through the index when every pattern parses and compiles and nothing
    // goes wrong; else one by one, so output and errors come in file order,
    // as stix2-matcher gives them.
    let indexed = if one_by_one { None } else { index_all(&lines, &observations, repeat) };
    let mut all_matched = true;
    for (position, (number, line)) in lines.iter().enumerate() {
        let matched = match &indexed {
            Some(results) => results[position],
            None => Pattern::parse(line)
                .map_err(anyhow::Error::from)
                .and_then(|pattern| {
                    let compiled = pattern.compile()?;
                    for _ in 1..repeat {
                        compiled.is_match(&observations)?;
                    }
                    Ok(compiled.is_match(&observations)?)
                })
                .with_context(|| where_(*number, line))?,
        };
        if matched {
            if quiet < 1 {
                println!("\nMATCH:  {}", escape(line));
            }
        } else {
            if quiet < 2 {
                println!("\nNO MATCH:  {}", escape(line));
            }
            all_matched = false;
        }
    }
    if timings {
        eprintln!(
            "read {} observations and {} patterns in {:.3} s; matched {} times in {:.3} s ({})",
            observations.len(),
            lines.len(),
            read.as_secs_f64(),
            repeat,
            started.elapsed().as_secs_f64(),
            if indexed.is_some() { "indicator index" } else { "one by one" }
        );
    }
    Ok(all_matched)
}

fn index_all(lines: &[(usize, &str)], observations: &Observations, repeat: u32) -> Option<Vec<bool>> {
    let mut builder = IndexBuilder::new(false);
    for (_, line) in lines {
        builder.add(&Pattern::parse(line).ok()?).ok()?;
    }
    let index = builder.build().ok()?;
    for _ in 1..repeat {
        index.match_observations(observations).ok()?;
    }
    index.match_observations(observations).ok()
}

/// The pattern as stix2-matcher prints it (Python's `unicode_escape`).
fn escape(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out
}
