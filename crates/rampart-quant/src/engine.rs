//! The simulation: scenarios drawn chunk by chunk on several threads,
//! summarised one at a time, summed into the portfolio.

use serde::{Deserialize, Serialize};

use crate::cpu::multiversion;
use crate::dist::{Distribution, Sampler, poisson};
use crate::rng::Stream;
use crate::stats::{SUM_BLOCK, Summary, Tally, exceedance, summarize_on, summarize_tallied};
use crate::{ENGINE_VERSION, Mode};

/// Iterations per stream, and per block of the summary's moments. Fixed, so
/// results never depend on the thread count.
const CHUNK: usize = SUM_BLOCK;
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controls: Option<ControlEffect>,
}

/// Whether the portfolio stays within one point of the risk tolerance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToleranceCheck {
    pub loss: f64,
    pub tolerated_probability: f64,
    pub probability: f64,
    pub within: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub engine_version: String,
    pub iterations: u64,
    pub seed: u64,
    pub mode: Mode,
    pub scenarios: Vec<ScenarioResult>,
    pub portfolio: Summary,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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

    /// One loss event's magnitude in aggregate mode: the primary forms, plus
    /// the secondary loss when it occurs (with its probability).
    #[inline]
    fn event_magnitude(&self, rng: &mut Stream) -> f64 {
        let mut lm: f64 = self.primary.iter().map(|p| p.draw(rng)).sum();
        if let Some((frequency, magnitude)) = &self.secondary {
            let f = frequency.draw(rng);
            let m = magnitude.draw(rng);
            if rng.uniform() < f {
                lm += m;
            }
        }
        lm
    }

    /// Multiplies `values` by the fraction the controls on `target` leave.
    #[inline(always)]
    fn apply_controls(
        &self,
        target: ControlTarget,
        rng: &mut Stream,
        values: &mut [f32],
        scratch: &mut [f32],
        bits: &mut [u32],
    ) {
        for (t, by) in &self.controls {
            if *t == target {
                by.fill(rng, scratch, bits);
                values.iter_mut().zip(scratch.iter()).for_each(|(v, r)| *v *= 1.0 - r);
            }
        }
    }

    /// Annual losses for one block of iterations, variable by variable.
    ///
    /// In f32 throughout (sums of events in f64): twice the values per vector
    /// instruction, with a rounding (6e-8 relative) far below Monte Carlo noise.
    #[inline(always)]
    fn block(
        &self,
        rng: &mut Stream,
        controls: &mut Stream,
        mode: Mode,
        apply: bool,
        buffers: &mut Buffers,
        out: &mut [f32],
    ) {
        let n = out.len();
        let Buffers { other, scratch, bits } = buffers;
        let (lef, other, scratch, bits) = (out, &mut other[..n], &mut scratch[..n], &mut bits[..n]);
        // Loss event frequency = threat event frequency × vulnerability.
        self.frequency.0.fill(rng, lef, bits);
        if let Some(action) = &self.frequency.1 {
            action.fill(rng, other, bits);
            lef.iter_mut().zip(other.iter()).for_each(|(f, a)| *f *= a);
        }
        if apply {
            self.apply_controls(ControlTarget::Tef, controls, lef, scratch, bits);
        }
        self.vulnerability.0.fill(rng, other, bits);
        if let Some(resistance) = &self.vulnerability.1 {
            resistance.fill(rng, scratch, bits);
            other
                .iter_mut()
                .zip(scratch.iter())
                .for_each(|(capability, rs)| *capability = f32::from(u8::from(*capability > *rs)));
        }
        if apply {
            self.apply_controls(ControlTarget::Vulnerability, controls, other, scratch, bits);
        }
        lef.iter_mut().zip(other.iter()).for_each(|(f, v)| *f *= v);
        // `lef` becomes the annual loss in place.
        let annual = lef;
        match mode {
            Mode::Pyfair => {
                // One loss magnitude per year, drawn form by form.
                let mut forms = self.primary.iter();
                if let Some(first) = forms.next() {
                    first.fill(rng, other, bits);
                }
                for form in forms {
                    form.fill(rng, scratch, bits);
                    other.iter_mut().zip(scratch.iter()).for_each(|(m, x)| *m += x);
                }
                if let Some((frequency, magnitude)) = &self.secondary {
                    frequency.fill(rng, scratch, bits);
                    for (m, f) in other.iter_mut().zip(scratch.iter()) {
                        *m = (f64::from(*m) + f64::from(*f) * magnitude.draw(rng)) as f32;
                    }
                }
                annual.iter_mut().zip(other.iter()).for_each(|(f, m)| *f *= m);
            }
            Mode::Aggregate => self.aggregate(rng, annual),
        }
        if apply {
            self.apply_controls(ControlTarget::LossMagnitude, controls, annual, scratch, bits);
        }
    }

    /// Turns loss event frequencies into annual losses, in place: a Poisson
    /// number of events per year, each with its own magnitude, drawn one
    /// event at a time (scalar work: kept out of the vector compilations).
    #[inline(never)]
    fn aggregate(&self, rng: &mut Stream, values: &mut [f32]) {
        for v in values {
            let events = poisson(rng, f64::from(*v));
            *v = (0..events).map(|_| self.event_magnitude(rng)).sum::<f64>() as f32;
        }
    }
}

/// Iterations computed together: small enough for the L1 cache.
const BLOCK: usize = 1024;

/// Per-thread working arrays of one block.
struct Buffers {
    other: Vec<f32>,
    scratch: Vec<f32>,
    /// Random bits, drawn in bulk before they become values.
    bits: Vec<u32>,
}

impl Buffers {
    fn new() -> Buffers {
        Buffers { other: vec![0.0; BLOCK], scratch: vec![0.0; BLOCK], bits: vec![0; BLOCK] }
    }
}

/// One chunk of one scenario: where its draws come from and go.
struct Chunk<'a> {
    compiled: &'a Compiled,
    model: &'a Model,
    scenario: u64,
    index: usize,
    apply_controls: bool,
}

/// Simulates one chunk into `out` and tallies it while it is in the cache.
#[inline(always)]
fn chunk_impl(chunk: &Chunk, buffers: &mut Buffers, out: &mut [f32], tally: &mut Tally) {
    let Chunk { compiled, model, scenario, index, apply_controls } = *chunk;
    let mut rng = Stream::new(model.seed, scenario, index as u64);
    let mut control_rng = Stream::new(model.seed, scenario + CONTROL_STREAMS, index as u64);
    for block in out.chunks_mut(BLOCK) {
        compiled.block(&mut rng, &mut control_rng, model.mode, apply_controls, buffers, block);
    }
    tally.add_block(index * CHUNK, out);
}

multiversion!(fn simulate_chunk(chunk: &Chunk, buffers: &mut Buffers, out: &mut [f32], tally: &mut Tally) = chunk_impl);

/// Fills `out` with one scenario's annual losses, chunk by chunk on `threads`.
///
/// Losses are kept as f32: half the memory and memory traffic of f64.
/// Each chunk is tallied for the summary's first pass while it is still in
/// the cache; the tallies of all threads come back merged.
fn simulate(
    compiled: &Compiled,
    scenario: u64,
    model: &Model,
    threads: usize,
    apply_controls: bool,
    out: &mut [f32],
) -> Tally {
    let chunks: Vec<(usize, &mut [f32])> = out.chunks_mut(CHUNK).enumerate().collect();
    let mut buckets: Vec<Vec<(usize, &mut [f32])>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, chunk) in chunks {
        buckets[i % threads].push((i, chunk));
    }
    let work = |bucket: Vec<(usize, &mut [f32])>| {
        let mut buffers = Buffers::new();
        let mut tally = Tally::new();
        for (index, slice) in bucket {
            let chunk = Chunk { compiled, model, scenario, index, apply_controls };
            simulate_chunk(&chunk, &mut buffers, slice, &mut tally);
        }
        tally
    };
    let tallies: Vec<Tally> = if threads == 1 {
        buckets.into_iter().map(work).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = buckets.into_iter().map(|bucket| scope.spawn(|| work(bucket))).collect();
            handles.into_iter().map(|h| h.join().expect("a simulation thread panicked")).collect()
        })
    };
    tallies
        .into_iter()
        .reduce(|mut all, t| {
            all.merge(t);
            all
        })
        .unwrap_or_else(Tally::new)
}

/// Adds one scenario's annual losses into the portfolio's, year by year.
#[inline(always)]
fn add_into_impl(portfolio: &mut [f64], samples: &[f32]) {
    portfolio.iter_mut().zip(samples).for_each(|(total, x)| *total += f64::from(*x));
}

multiversion!(fn add_into(portfolio: &mut [f64], samples: &[f32]) = add_into_impl);

/// Simulates and summarises one scenario into `samples` (left holding its
/// annual losses without controls).
fn scenario_result(model: &Model, index: usize, threads: usize, samples: &mut [f32]) -> ScenarioResult {
    let scenario = &model.scenarios[index];
    let compiled = Compiled::new(scenario);
    let tally = simulate(&compiled, index as u64, model, threads, false, samples);
    let summary = summarize_tallied(samples, tally, &model.percentiles, threads);
    let controls = if scenario.controls.is_empty() {
        None
    } else {
        let mut controlled = vec![0.0f32; samples.len()];
        let tally = simulate(&compiled, index as u64, model, threads, true, &mut controlled);
        let with_controls = summarize_tallied(&controlled, tally, &model.percentiles, threads);
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
    ScenarioResult { name: scenario.name.clone(), summary, controls }
}

/// Runs the model on `threads` threads (at least 1). The same model and seed
/// give the same result whatever the thread count.
///
/// With at least as many scenarios as threads, scenarios run side by side,
/// one per thread; otherwise each scenario's chunks are shared out. Either
/// way every scenario's samples are the same, and they are added into the
/// portfolio in scenario order, so sums are identical too. Memory is one
/// sample array per thread plus the portfolio, whatever the scenario count.
pub fn run(model: &Model, threads: usize) -> RunResult {
    let threads = threads.max(1);
    let n = model.iterations as usize;
    // One scenario is its own portfolio: no second array to fill.
    let single = model.scenarios.len() == 1;
    let mut portfolio = if single { Vec::new() } else { vec![0.0; n] };
    let mut scenarios = Vec::with_capacity(model.scenarios.len());
    let side_by_side = model.scenarios.len() >= threads && threads > 1;
    // Kept for the tolerance check of a one-scenario model.
    let mut last = Vec::new();
    if side_by_side {
        // One worker per thread for the whole run, worker w taking scenarios
        // w, w + threads, …; each hands its sample array to this thread with
        // the result, which adds it into the portfolio in scenario order (so
        // sums do not depend on timing) and hands the array back.
        std::thread::scope(|scope| {
            let mut inboxes = Vec::new();
            let mut outboxes = Vec::new();
            for w in 0..threads {
                let (to_main, from_worker) = std::sync::mpsc::channel::<(ScenarioResult, Vec<f32>)>();
                let (to_worker, from_main) = std::sync::mpsc::channel::<Vec<f32>>();
                to_worker.send(vec![0.0; n]).expect("the worker is listening");
                scope.spawn(move || {
                    for index in (w..model.scenarios.len()).step_by(threads) {
                        let Ok(mut samples) = from_main.recv() else { return };
                        let result = scenario_result(model, index, 1, &mut samples);
                        if to_main.send((result, samples)).is_err() {
                            return;
                        }
                    }
                });
                inboxes.push(from_worker);
                outboxes.push(to_worker);
            }
            for index in 0..model.scenarios.len() {
                let w = index % threads;
                let (result, samples) = inboxes[w].recv().expect("a simulation thread panicked");
                add_into(&mut portfolio, &samples);
                scenarios.push(result);
                // The worker may have finished; then the array is not needed.
                let _ = outboxes[w].send(samples);
            }
        });
    } else {
        let mut samples = vec![0.0f32; n];
        for index in 0..model.scenarios.len() {
            scenarios.push(scenario_result(model, index, threads, &mut samples));
            if !single {
                add_into(&mut portfolio, &samples);
            }
        }
        last = samples;
    }
    let tolerance = model
        .tolerance
        .iter()
        .map(|&(loss, tolerated)| {
            let probability = if single { exceedance(&last, loss) } else { exceedance(&portfolio, loss) };
            ToleranceCheck { loss, tolerated_probability: tolerated, probability, within: probability <= tolerated }
        })
        .collect();
    // A portfolio of one scenario is that scenario: no need to summarise twice.
    let portfolio = match scenarios.as_slice() {
        [only] => only.summary.clone(),
        _ => summarize_on(&portfolio, &model.percentiles, threads),
    };
    RunResult {
        engine_version: ENGINE_VERSION.to_string(),
        iterations: model.iterations,
        seed: model.seed,
        mode: model.mode,
        scenarios,
        portfolio,
        tolerance,
    }
}
