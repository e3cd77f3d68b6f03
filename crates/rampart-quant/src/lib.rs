//! Open FAIR Monte Carlo quantification.
//!
//! A [`spec::ModelSpec`] (what a model file or the API says) is checked into a
//! [`Model`], which [`run`] simulates: per scenario, threat event frequency ×
//! vulnerability gives loss event frequency, combined with loss magnitude into
//! an annual loss; the portfolio is the per-iteration sum over scenarios.
//!
//! The engine is seeded and reproducible: each chunk of iterations of each
//! scenario draws from its own stream, so 1 or N threads give identical
//! results. It streams: one scenario's samples live at a time, and memory grows
//! with the iteration count, not with the number of scenarios. It does no I/O.

pub mod chart;
mod cpu;
pub mod dist;
mod engine;
pub mod rng;
pub mod spec;
mod stats;

#[doc(hidden)]
pub use cpu::with_baseline_only;
pub use dist::{Distribution, PertShape, Quantity};
pub use engine::{ControlEffect, ControlTarget, Model, RunResult, ScenarioResult, ToleranceCheck, run};
pub use spec::ModelSpec;
pub use stats::{Bin, ExceedancePoint, Summary, percentile_key as stats_key};

use serde::{Deserialize, Serialize};

/// The engine's version, recorded with every stored result.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Most iterations a model may ask for (memory is 8 bytes per iteration, twice).
pub const MAX_ITERATIONS: u64 = 20_000_000;

/// How per-iteration annual loss is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A Poisson number of loss events per year (mean: the loss event
    /// frequency drawn), each with its own loss magnitude, summed. The default:
    /// it is what an annual loss is.
    #[default]
    Aggregate,
    /// pyfair's model: loss event frequency × one loss magnitude.
    Pyfair,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl QuantError {
    pub fn field(&self) -> &str {
        match self {
            QuantError::Invalid { field, .. } => field,
        }
    }
}
