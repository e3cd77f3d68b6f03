//! `rampart stix`: STIX 2.1 from the command line. `match` behaves like the
//! OASIS `stix2-matcher` command (same output, same exit codes), so scripts
//! written for it keep working.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use rampart_stix::pattern::{Observations, Pattern};

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
    },
}

pub fn run(command: StixCommand) -> ExitCode {
    let StixCommand::Match { patterns, bundle, quiet } = command;
    match match_patterns(&patterns, &bundle, quiet) {
        Ok(all_matched) => ExitCode::from(if all_matched { 0 } else { 1 }),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn match_patterns(patterns: &PathBuf, bundle: &PathBuf, quiet: u8) -> anyhow::Result<bool> {
    use anyhow::Context;
    let size = std::fs::metadata(bundle).with_context(|| format!("cannot read {}", bundle.display()))?.len();
    if size > MAX_BUNDLE_BYTES {
        anyhow::bail!("{} is {size} bytes; at most {MAX_BUNDLE_BYTES} are read", bundle.display());
    }
    let json: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(std::fs::File::open(bundle)?))
        .with_context(|| format!("{} is not JSON", bundle.display()))?;
    let observations = Observations::from_json(&json).with_context(|| format!("{}", bundle.display()))?;
    let text = std::fs::read_to_string(patterns).with_context(|| format!("cannot read {}", patterns.display()))?;
    let mut all_matched = true;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let pattern = Pattern::parse(line).with_context(|| format!("{}:{}: {line}", patterns.display(), number + 1))?;
        let matched = pattern
            .compile()
            .and_then(|compiled| compiled.is_match(&observations))
            .with_context(|| format!("{}:{}: {line}", patterns.display(), number + 1))?;
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
    Ok(all_matched)
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
