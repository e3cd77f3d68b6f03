//! `rampart cvss`: CVSS v4.0 scores from the command line.

use std::io::BufRead;
use std::process::ExitCode;

use rampart_cvss::Vector;
use serde_json::json;

/// Longest line read from standard input; longer ones are refused by the parser.
const MAX_LINE: usize = 4096;

pub fn run(mut vectors: Vec<String>, stdin: bool, json: bool) -> anyhow::Result<ExitCode> {
    if stdin {
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let line = line.trim();
            if !line.is_empty() {
                vectors.push(line.chars().take(MAX_LINE).collect());
            }
        }
    }
    if vectors.is_empty() {
        anyhow::bail!("give one or more CVSS v4.0 vectors, or --stdin to read them one per line");
    }
    let mut failed = false;
    let mut results = Vec::new();
    for text in &vectors {
        match Vector::parse(text) {
            Ok(vector) => {
                let (score, severity) = (vector.score(), vector.severity());
                if json {
                    results.push(json!({"vector": text, "score": score, "severity": severity.as_str()}));
                } else {
                    println!("{text} {score:.1} {severity}");
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {text}: {e}");
                if json {
                    results.push(json!({"vector": text, "error": e.to_string()}));
                }
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
