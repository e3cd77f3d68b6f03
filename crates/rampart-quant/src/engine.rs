//! The simulation: scenarios drawn chunk by chunk on several threads,
//! summarised one at a time, summed into the portfolio.

use serde::{Deserialize, Serialize};

use crate::dist::{Distribution, Sampler, poisson};
use crate::rng::Stream;
use crate::stats::{Summary, exceedance, summarize};
use crate::{ENGINE_VERSION, Mode};

/// Iterations per stream. Fixed, so results never depend on the thread count.
const CHUNK: usize = 1 << 14;
/// Streams of control effects are kept apart from the scenario's own draws.
const CONTROL_STREAMS: u64 = 1 << 40;

#[derive(Debug, Clone, PartialEq)]
pub enum Frequency {
    Tef(Distribution),
    /// Contact frequency × probability of action.
    ContactAction(Distribution, Distribution),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Vulnerability {
    Direct(Distribution),
    /// Threat capability vs resistance strength, compared in each iteration.
    Capability(Distribution, Distribution),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    /// Forms of primary loss, added up.
    pub primary: Vec<Distribution>,
    /// (probability of secondary effects, secondary loss magnitude).
    pub secondary: Option<(Distribution, Distribution)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlTarget {
    Tef,
    Vulnerability,
    LossMagnitude,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub name: String,
    pub cost: f64,
    pub target: ControlTarget,
    /// Fraction removed from the target, drawn per iteration.
    pub by: Distribution,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub frequency: Frequency,
    pub vulnerability: Vulnerability,
    pub loss: Loss,
    pub controls: Vec<Control>,
}

/// A checked model (see [`crate::ModelSpec::to_model`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub iterations: u64,
    pub seed: u64,
    pub mode: Mode,
    pub percentiles: Vec<f64>,
    pub tolerance: Vec<(f64, f64)>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlEffect {
    pub controls: Vec<String>,
    pub annual_cost: f64,
    /// The scenario with its controls applied.
    pub with_controls: Summary,
    /// Expected annual loss removed.
    pub reduction: f64,
    /// (reduction − cost) / cost; absent when the controls cost nothing.
    pub return_on_cost: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controls: Option<ControlEffect>,
}

/// Whether the portfolio stays within one point of the risk tolerance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToleranceCheck {
    pub loss: f64,
    pub tolerated_probability: f64,
    pub probability: f64,
    pub within: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub engine_version: &'static str,
    pub iterations: u64,
    pub seed: u64,
    pub mode: Mode,
    pub scenarios: Vec<ScenarioResult>,
    pub portfolio: Summary,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerance: Vec<ToleranceCheck>,
}

/// Samplers of one scenario (PERT tables built once).
struct Compiled {
    frequency: (Sampler, Option<Sampler>),
    vulnerability: (Sampler, Option<Sampler>),
    primary: Vec<Sampler>,
    secondary: Option<(Sampler, Sampler)>,
    controls: Vec<(ControlTarget, Sampler)>,
}

impl Compiled {
    fn new(s: &Scenario) -> Compiled {
        Compiled {
            frequency: match &s.frequency {
                Frequency::Tef(d) => (d.sampler(), None),
                Frequency::ContactAction(c, a) => (c.sampler(), Some(a.sampler())),
            },
            vulnerability: match &s.vulnerability {
                Vulnerability::Direct(d) => (d.sampler(), None),
                Vulnerability::Capability(t, r) => (t.sampler(), Some(r.sampler())),
            },
            primary: s.loss.primary.iter().map(Distribution::sampler).collect(),
            secondary: s.loss.secondary.as_ref().map(|(f, m)| (f.sampler(), m.sampler())),
            controls: s.controls.iter().map(|c| (c.target, c.by.sampler())).collect(),
        }
    }

    /// The fraction left of each target after the controls, for one iteration.
    fn remaining(&self, rng: &mut Stream, apply: bool) -> [f64; 3] {
        let mut left = [1.0; 3];
        if apply {
            for (target, by) in &self.controls {
                let i = match target {
                    ControlTarget::Tef => 0,
                    ControlTarget::Vulnerability => 1,
                    ControlTarget::LossMagnitude => 2,
                };
                left[i] *= 1.0 - by.draw(rng);
            }
        }
        left
    }

    /// One event's loss magnitude: primary forms plus, in pyfair mode, the
    /// expected secondary loss; in aggregate mode the secondary loss occurs
    /// with its probability.
    #[inline]
    fn magnitude(&self, rng: &mut Stream, mode: Mode) -> f64 {
        let mut lm: f64 = self.primary.iter().map(|p| p.draw(rng)).sum();
        if let Some((frequency, magnitude)) = &self.secondary {
            let f = frequency.draw(rng);
            let m = magnitude.draw(rng);
            lm += match mode {
                Mode::Pyfair => f * m,
                Mode::Aggregate => {
                    if rng.uniform() < f {
                        m
                    } else {
                        0.0
                    }
                }
            };
        }
        lm
    }

    /// One simulated year's loss.
    #[inline]
    fn annual_loss(&self, rng: &mut Stream, controls: &mut Stream, mode: Mode, apply: bool) -> f64 {
        let [tef_left, vuln_left, lm_left] = self.remaining(controls, apply);
        let tef = match &self.frequency {
            (tef, None) => tef.draw(rng),
            (contact, Some(action)) => contact.draw(rng) * action.draw(rng),
        } * tef_left;
        let vulnerability = match &self.vulnerability {
            (v, None) => v.draw(rng),
            (tcap, Some(rs)) => f64::from(u8::from(tcap.draw(rng) > rs.draw(rng))),
        } * vuln_left;
        let lef = tef * vulnerability;
        match mode {
            Mode::Pyfair => lef * self.magnitude(rng, mode) * lm_left,
            Mode::Aggregate => {
                let events = poisson(rng, lef);
                (0..events).map(|_| self.magnitude(rng, mode)).sum::<f64>() * lm_left
            }
        }
    }
}

/// Fills `out` with one scenario's annual losses, chunk by chunk on `threads`.
fn simulate(compiled: &Compiled, index: u64, model: &Model, threads: usize, apply_controls: bool, out: &mut [f64]) {
    let chunks: Vec<(usize, &mut [f64])> = out.chunks_mut(CHUNK).enumerate().collect();
    let mut buckets: Vec<Vec<(usize, &mut [f64])>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, chunk) in chunks {
        buckets[i % threads].push((i, chunk));
    }
    let work = |bucket: Vec<(usize, &mut [f64])>| {
        for (chunk_index, slice) in bucket {
            let mut rng = Stream::new(model.seed, index, chunk_index as u64);
            let mut control_rng = Stream::new(model.seed, index + CONTROL_STREAMS, chunk_index as u64);
            for x in slice.iter_mut() {
                *x = compiled.annual_loss(&mut rng, &mut control_rng, model.mode, apply_controls);
            }
        }
    };
    if threads == 1 {
        buckets.into_iter().for_each(work);
    } else {
        std::thread::scope(|scope| {
            for bucket in buckets {
                scope.spawn(|| work(bucket));
            }
        });
    }
}

/// Runs the model on `threads` threads (at least 1). The same model and seed
/// give the same result whatever the thread count.
pub fn run(model: &Model, threads: usize) -> RunResult {
    let threads = threads.max(1);
    let n = model.iterations as usize;
    let mut portfolio = vec![0.0; n];
    let mut samples = vec![0.0; n];
    let mut scenarios = Vec::with_capacity(model.scenarios.len());
    for (index, scenario) in model.scenarios.iter().enumerate() {
        let compiled = Compiled::new(scenario);
        simulate(&compiled, index as u64, model, threads, false, &mut samples);
        for (total, x) in portfolio.iter_mut().zip(&samples) {
            *total += x;
        }
        let summary = summarize(&mut samples, &model.percentiles);
        let controls = if scenario.controls.is_empty() {
            None
        } else {
            simulate(&compiled, index as u64, model, threads, true, &mut samples);
            let with_controls = summarize(&mut samples, &model.percentiles);
            let annual_cost: f64 = scenario.controls.iter().map(|c| c.cost).sum();
            let reduction = summary.mean - with_controls.mean;
            Some(ControlEffect {
                controls: scenario.controls.iter().map(|c| c.name.clone()).collect(),
                annual_cost,
                return_on_cost: (annual_cost > 0.0).then(|| (reduction - annual_cost) / annual_cost),
                reduction,
                with_controls,
            })
        };
        scenarios.push(ScenarioResult { name: scenario.name.clone(), summary, controls });
    }
    let tolerance = model
        .tolerance
        .iter()
        .map(|&(loss, tolerated)| {
            let probability = exceedance(&portfolio, loss);
            ToleranceCheck { loss, tolerated_probability: tolerated, probability, within: probability <= tolerated }
        })
        .collect();
    let portfolio = summarize(&mut portfolio, &model.percentiles);
    RunResult {
        engine_version: ENGINE_VERSION,
        iterations: model.iterations,
        seed: model.seed,
        mode: model.mode,
        scenarios,
        portfolio,
        tolerance,
    }
}
