//! `rampart quant run`: simulate an Open FAIR model file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rampart_quant::chart::loss_exceedance_svg;
use rampart_quant::{ModelSpec, RunResult, Summary};

/// Largest model file read.
const MAX_MODEL_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
pub struct RunArgs {
    /// The model file (YAML); see docs/QUANT.md and examples/quant/.
    model: PathBuf,
    /// Override the model's iteration count.
    #[arg(long)]
    iterations: Option<u64>,
    /// Override the model's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the loss exceedance curves as an SVG file.
    #[arg(long)]
    lec: Option<PathBuf>,
}

/// Reads and checks a model file, with the file name in every error.
pub fn load(path: &std::path::Path) -> anyhow::Result<ModelSpec> {
    let size = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
    if size > MAX_MODEL_BYTES {
        bail!("{} is {size} bytes; model files may be at most {MAX_MODEL_BYTES}", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut spec = load(&args.model)?;
    if let Some(n) = args.iterations {
        spec.iterations = n;
    }
    if let Some(s) = args.seed {
        spec.seed = s;
    }
    let model = spec.to_model().map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    if threads == 0 || threads > 1024 {
        bail!("--threads must be between 1 and 1024");
    }
    let result = rampart_quant::run(&model, threads);
    if let Some(path) = &args.lec {
        std::fs::write(path, loss_exceedance_svg(&result))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        Format::Csv => print!("{}", csv(&result, &spec.percentiles)),
        Format::Table => print!("{}", table(&result, &spec.percentiles)),
    }
    Ok(ExitCode::SUCCESS)
}

fn rows(result: &RunResult) -> Vec<(&str, &Summary)> {
    let mut rows: Vec<(&str, &Summary)> = result.scenarios.iter().map(|s| (s.name.as_str(), &s.summary)).collect();
    rows.push(("portfolio", &result.portfolio));
    rows
}

fn csv(result: &RunResult, percentiles: &[f64]) -> String {
    let keys: Vec<String> = percentiles.iter().map(|p| rampart_quant::stats_key(*p)).collect();
    let mut out = format!("name,mean,stdev,min,max,{}\n", keys.join(","));
    for (name, s) in rows(result) {
        let quoted = if name.contains([',', '"', '\n']) {
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name.to_string()
        };
        let values: Vec<String> = keys.iter().map(|k| format!("{:.2}", s.percentiles[k])).collect();
        out.push_str(&format!(
            "{quoted},{:.2},{:.2},{:.2},{:.2},{}\n",
            s.mean,
            s.stdev,
            s.min,
            s.max,
            values.join(",")
        ));
    }
    out
}

fn table(result: &RunResult, percentiles: &[f64]) -> String {
    let keys: Vec<String> = percentiles.iter().map(|p| rampart_quant::stats_key(*p)).collect();
    let name_width = rows(result).iter().map(|(n, _)| n.chars().count()).max().unwrap_or(9).clamp(9, 40);
    let mut out = format!(
        "{} iterations, seed {}, {:?} mode, engine {}\n\n{:<name_width$} {:>14} {:>14}",
        result.iterations, result.seed, result.mode, result.engine_version, "scenario", "mean", "stdev"
    );
    for k in &keys {
        out.push_str(&format!(" {k:>14}"));
    }
    out.push('\n');
    for (name, s) in rows(result) {
        let name: String = name.chars().take(40).collect();
        out.push_str(&format!("{name:<name_width$} {:>14.0} {:>14.0}", s.mean, s.stdev));
        for k in &keys {
            out.push_str(&format!(" {:>14.0}", s.percentiles[k]));
        }
        out.push('\n');
    }
    for s in &result.scenarios {
        if let Some(c) = &s.controls {
            out.push_str(&format!(
                "\n{}: with {} the mean annual loss falls by {:.0} to {:.0} for {:.0} a year",
                s.name,
                c.controls.join(", "),
                c.reduction,
                c.with_controls.mean,
                c.annual_cost
            ));
            if let Some(roi) = c.return_on_cost {
                out.push_str(&format!(" (return on cost {:.0}%)", roi * 100.0));
            }
            out.push('\n');
        }
    }
    if !result.tolerance.is_empty() {
        out.push_str("\nrisk tolerance:\n");
        for t in &result.tolerance {
            out.push_str(&format!(
                "  P(annual loss > {:.0}) = {:.2}% (tolerated {:.2}%): {}\n",
                t.loss,
                t.probability * 100.0,
                t.tolerated_probability * 100.0,
                if t.within { "within" } else { "EXCEEDED" }
            ));
        }
    }
    out
}
