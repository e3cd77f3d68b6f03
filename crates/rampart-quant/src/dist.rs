//! Distributions of estimates, their checks, closed-form means, and samplers.
//!
//! Sampling is by inverse transform wherever possible: one uniform number per
//! draw keeps every stream's consumption fixed, which is what makes results
//! reproducible. The PERT (beta) inverse has no closed form; it is tabulated
//! once per model from the exact density (see [`PertTable`]).

use serde::{Deserialize, Serialize};

use crate::QuantError;
use crate::cpu::multiversion;
use crate::rng::Stream;

/// z of the 95th percentile of the standard normal: a 90% interval spans ±z.
const Z95: f64 = 1.644_853_626_951_472_2;

/// Which PERT: Vose's modified form (the default), or the classic beta-PERT
/// pyfair uses (σ = (max − min) / (γ + 2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PertShape {
    #[default]
    Modified,
    Classic,
}

/// A calibrated estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    Constant(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Pert {
        min: f64,
        mode: f64,
        max: f64,
        gamma: f64,
        shape: PertShape,
    },
    /// Lognormal given by its 90% interval (5th and 95th percentiles).
    Lognormal {
        p5: f64,
        p95: f64,
    },
    /// Normal truncated to [min, max].
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
}

/// What an estimate measures, which bounds its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Events per year, or losses in money: never negative.
    NonNegative,
    /// A probability or a fraction: within [0, 1].
    Probability,
}

fn invalid(field: &str, reason: impl Into<String>) -> QuantError {
    QuantError::Invalid { field: field.to_string(), reason: reason.into() }
}

impl Distribution {
    /// Checks the parameters; `field` names the estimate in errors.
    pub fn validate(&self, field: &str, quantity: Quantity) -> Result<(), QuantError> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() { Ok(()) } else { Err(invalid(&format!("{field}.{name}"), "must be a finite number")) }
        };
        let (low, high) = match *self {
            Distribution::Constant(v) => {
                finite("constant", v)?;
                (v, v)
            }
            Distribution::Uniform { min, max } => {
                finite("min", min)?;
                finite("max", max)?;
                if min > max {
                    return Err(invalid(field, format!("min ({min}) must not exceed max ({max})")));
                }
                (min, max)
            }
            Distribution::Triangular { min, mode, max } | Distribution::Pert { min, mode, max, .. } => {
                for (name, v) in [("min", min), ("mode", mode), ("max", max)] {
                    finite(name, v)?;
                }
                if min > mode {
                    return Err(invalid(field, format!("min ({min}) must not exceed mode ({mode})")));
                }
                if mode > max {
                    return Err(invalid(field, format!("mode ({mode}) must not exceed max ({max})")));
                }
                if let Distribution::Pert { gamma, .. } = *self
                    && !(gamma.is_finite() && gamma > 0.0 && gamma <= 100.0)
                {
                    return Err(invalid(&format!("{field}.gamma"), "must be above 0 and at most 100"));
                }
                (min, max)
            }
            Distribution::Lognormal { p5, p95 } => {
                finite("p5", p5)?;
                finite("p95", p95)?;
                if p5 <= 0.0 {
                    return Err(invalid(&format!("{field}.p5"), "a lognormal's 5th percentile must be above 0"));
                }
                if p95 <= p5 {
                    return Err(invalid(field, format!("p95 ({p95}) must exceed p5 ({p5})")));
                }
                (0.0, f64::INFINITY)
            }
            Distribution::Normal { mean, sd, min, max } => {
                for (name, v) in [("mean", mean), ("sd", sd), ("min", min), ("max", max)] {
                    finite(name, v)?;
                }
                if sd <= 0.0 {
                    return Err(invalid(&format!("{field}.sd"), "must be above 0"));
                }
                if min >= max {
                    return Err(invalid(field, format!("min ({min}) must be below max ({max})")));
                }
                if truncated_mass(mean, sd, min, max) < 1e-3 {
                    return Err(invalid(
                        field,
                        "[min, max] keeps less than 0.1% of the normal: widen it or move the mean",
                    ));
                }
                (min, max)
            }
        };
        match quantity {
            Quantity::NonNegative if low < 0.0 => {
                Err(invalid(field, format!("cannot be negative (lowest value {low})")))
            }
            Quantity::Probability if low < 0.0 || high > 1.0 => {
                Err(invalid(field, format!("is a probability: its values must lie within [0, 1], not [{low}, {high}]")))
            }
            _ => Ok(()),
        }
    }

    /// The expected value, in closed form.
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Constant(v) => v,
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Distribution::Pert { min, mode, max, gamma, .. } => (min + gamma * mode + max) / (gamma + 2.0),
            Distribution::Lognormal { p5, p95 } => {
                let (mu, sigma) = lognormal_params(p5, p95);
                (mu + sigma * sigma / 2.0).exp()
            }
            Distribution::Normal { mean, sd, min, max } => {
                let (a, b) = ((min - mean) / sd, (max - mean) / sd);
                mean + sd * (normal_pdf(a) - normal_pdf(b)) / truncated_mass(mean, sd, min, max)
            }
        }
    }

    /// The beta parameters (α, β) of a PERT.
    pub fn pert_alpha_beta(min: f64, mode: f64, max: f64, gamma: f64, shape: PertShape) -> (f64, f64) {
        let range = max - min;
        match shape {
            PertShape::Modified => (1.0 + gamma * (mode - min) / range, 1.0 + gamma * (max - mode) / range),
            PertShape::Classic => {
                let mean = (min + gamma * mode + max) / (gamma + 2.0);
                let sd = range / (gamma + 2.0);
                if (mean - min).abs() < f64::EPSILON * range || (max - mean).abs() < f64::EPSILON * range {
                    return (1.0, 1.0);
                }
                let alpha = ((mean - min) / range) * ((mean - min) * (max - mean) / (sd * sd) - 1.0);
                (alpha, alpha * (max - mean) / (mean - min))
            }
        }
    }

    /// A ready-to-draw form (PERT tables are built here, once).
    pub fn sampler(&self) -> Sampler {
        match *self {
            Distribution::Constant(v) => Sampler::Constant(v),
            Distribution::Uniform { min, max } => Sampler::Uniform { min, width: max - min },
            Distribution::Triangular { min, mode, max } => Sampler::Triangular { min, mode, max },
            Distribution::Pert { min, mode, max, gamma, shape } => {
                if max - min <= 0.0 {
                    return Sampler::Constant(min);
                }
                let (alpha, beta) = Self::pert_alpha_beta(min, mode, max, gamma, shape);
                Sampler::Pert { min, width: max - min, table: PertTable::shared(alpha, beta) }
            }
            Distribution::Lognormal { p5, p95 } => {
                let (mu, sigma) = lognormal_params(p5, p95);
                Sampler::Lognormal { mu, sigma }
            }
            Distribution::Normal { mean, sd, min, max } => Sampler::Normal { mean, sd, min, max },
        }
    }
}

fn lognormal_params(p5: f64, p95: f64) -> (f64, f64) {
    let (l5, l95) = (p5.ln(), p95.ln());
    ((l5 + l95) / 2.0, (l95 - l5) / (2.0 * Z95))
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

fn truncated_mass(mean: f64, sd: f64, min: f64, max: f64) -> f64 {
    normal_cdf((max - mean) / sd) - normal_cdf((min - mean) / sd)
}

/// A distribution prepared for drawing.
#[derive(Debug, Clone)]
pub enum Sampler {
    Constant(f64),
    Uniform { min: f64, width: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
    Pert { min: f64, width: f64, table: std::sync::Arc<PertTable> },
    Lognormal { mu: f64, sigma: f64 },
    Normal { mean: f64, sd: f64, min: f64, max: f64 },
}

impl Sampler {
    #[inline]
    pub fn draw(&self, rng: &mut Stream) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform { min, width } => min + width * rng.uniform(),
            Sampler::Triangular { min, mode, max } => {
                let u = rng.uniform();
                let split = (mode - min) / (max - min);
                if u < split {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Sampler::Pert { min, width, table } => {
                min + width * f64::from(table.quantile_of_bits((rng.next_u64() >> 32) as u32))
            }
            Sampler::Lognormal { mu, sigma } => (mu + sigma * standard_normal(rng)).exp(),
            Sampler::Normal { mean, sd, min, max } => loop {
                // Rejection: validation guarantees at least 0.1% acceptance.
                let x = mean + sd * standard_normal(rng);
                if x >= *min && x <= *max {
                    break x;
                }
            },
        }
    }
}

impl Sampler {
    /// Fills `out` with draws, kept as f32 like the simulation's arrays. The
    /// match is outside the loop, so each loop is a tight, branch-free run
    /// the compiler can pipeline and vectorise. Inlined into its callers, so
    /// it is compiled for whichever instruction set they are (see `cpu`).
    ///
    /// `bits` is working space for the random bits, at least as long as `out`:
    /// they are drawn first, in bulk, then turned into values, two loops
    /// without a dependency chain between iterations.
    #[inline(always)]
    pub fn fill(&self, rng: &mut Stream, out: &mut [f32], bits: &mut [u32]) {
        match self {
            Sampler::Constant(v) => out.fill(*v as f32),
            Sampler::Pert { min, width, table } => {
                // Two draws from each 64-bit number: its high and low halves.
                let bits = &mut bits[..out.len()];
                rng.fill_u32(bits);
                table.fill_scaled(*min as f32, *width as f32, bits, out);
            }
            other => other.fill_one_by_one(rng, out),
        }
    }

    /// The distributions without a bulk form, drawn one value at a time.
    #[inline(never)]
    fn fill_one_by_one(&self, rng: &mut Stream, out: &mut [f32]) {
        out.iter_mut().for_each(|x| *x = self.draw(rng) as f32);
    }
}

/// A standard normal variate (Box–Muller; uses two uniforms).
#[inline]
fn standard_normal(rng: &mut Stream) -> f64 {
    let (u1, u2) = (rng.uniform(), rng.uniform());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The quantile function of Beta(α, β) on [0, 1], tabulated.
///
/// The density is integrated on a fine grid (the end cells in closed form, so
/// α or β below 1 are handled), the cumulative distribution inverted onto an
/// evenly spaced probability grid, and draws interpolate linearly in it. The
/// error is far below Monte Carlo noise: quantiles agree with the closed form
/// to about 1e-5 of the range (tested), and a draw costs one uniform and one
/// table lookup.
#[derive(Debug, Clone)]
pub struct PertTable {
    /// f32 keeps each table at 16 KiB, so a model's tables stay in the L1/L2
    /// caches under random access; its 6e-8 relative precision is far below
    /// the interpolation error.
    /// A fixed length, so indexing by 12 bits needs no bounds check.
    quantiles: Box<[f32; PROBABILITY_CELLS + 1]>,
}

/// Cells of the density grid (4,096: the quantile error stays at the level of
/// the probability grid's interpolation, tested against closed forms).
const DENSITY_CELLS: usize = 1 << 12;

/// ln(x) and ln(1 − x) at the density grid's points, computed once per process.
fn log_grids() -> &'static (Vec<f64>, Vec<f64>) {
    static GRIDS: std::sync::OnceLock<(Vec<f64>, Vec<f64>)> = std::sync::OnceLock::new();
    GRIDS.get_or_init(|| {
        let h = 1.0 / DENSITY_CELLS as f64;
        (0..=DENSITY_CELLS).map(|k| ((k as f64 * h).ln(), (1.0 - k as f64 * h).ln())).unzip()
    })
}
/// Cells of the probability grid (the table has one more point).
const PROBABILITY_CELLS: usize = 1 << 12;

/// Recently built tables, by shape: portfolios often repeat an estimate
/// (the same vulnerability range in many scenarios), and a table costs
/// thousands of exponentials to build.
/// A table with the (α, β) bits it was built for.
type Keyed = ((u64, u64), std::sync::Arc<PertTable>);
static RECENT_TABLES: std::sync::Mutex<Vec<Keyed>> = std::sync::Mutex::new(Vec::new());
/// Tables kept: 64 × 16 KiB.
const RECENT_TABLES_KEPT: usize = 64;

impl PertTable {
    /// The table for Beta(α, β), built or reused from the recent ones.
    pub fn shared(alpha: f64, beta: f64) -> std::sync::Arc<PertTable> {
        let key = (alpha.to_bits(), beta.to_bits());
        let found =
            RECENT_TABLES.lock().ok().and_then(|recent| recent.iter().find(|(k, _)| *k == key).map(|(_, t)| t.clone()));
        if let Some(table) = found {
            return table;
        }
        let table = std::sync::Arc::new(PertTable::new(alpha, beta));
        if let Ok(mut recent) = RECENT_TABLES.lock() {
            if recent.len() == RECENT_TABLES_KEPT {
                recent.remove(0);
            }
            recent.push((key, table.clone()));
        }
        table
    }

    pub fn new(alpha: f64, beta: f64) -> PertTable {
        build_table(alpha, beta)
    }

    #[inline(always)]
    fn build(alpha: f64, beta: f64) -> PertTable {
        let h = 1.0 / DENSITY_CELLS as f64;
        let (ln_x, ln_1mx) = log_grids();
        // x^(α−1) (1−x)^(β−1) at the inner grid points, divided by its largest
        // value there so that no shape underflows (a common factor: the table
        // depends only on the shape of the density).
        let mut density = vec![0f32; DENSITY_CELLS + 1];
        let peak = relative_densities(alpha, beta, ln_x, ln_1mx, &mut density);
        // Cumulative mass at each grid point: trapezoids inside, the end cells
        // in closed form (so α or β below 1 are handled).
        let mut cumulative = vec![0.0f64; DENSITY_CELLS + 1];
        // ∫₀ʰ x^(α−1)(1−x)^(β−1) dx ≈ (1 − h/2)^(β−1) · h^α / α, and the mirror image.
        let first = ((beta - 1.0) * (1.0 - h / 2.0).ln() + alpha * h.ln() - alpha.ln() - peak).exp();
        let last = ((alpha - 1.0) * (1.0 - h / 2.0).ln() + beta * h.ln() - beta.ln() - peak).exp();
        let mut total = first;
        cumulative[1] = total;
        for k in 1..DENSITY_CELLS - 1 {
            total += f64::from(density[k] + density[k + 1]) * h / 2.0;
            cumulative[k + 1] = total;
        }
        total += last;
        cumulative[DENSITY_CELLS] = total;
        // The density cell of each probability grid point: the last cell
        // whose cumulative mass at its start is at most the point's. Each
        // cell marks the first point at or above its start, and the marks
        // are carried forward: no search, whose every step would be a
        // hard-to-predict branch.
        let step = total / PROBABILITY_CELLS as f64;
        let per_step = 1.0 / step;
        let mut cell_of = vec![0u32; PROBABILITY_CELLS + 1];
        for (k, start) in cumulative[..DENSITY_CELLS].iter().enumerate() {
            // ⌈start / step⌉ without `ceil`, a library call before SSE4.1.
            let position = start * per_step;
            let below = position as usize;
            let first = (below + usize::from((below as f64) < position)).min(PROBABILITY_CELLS);
            cell_of[first] = k as u32;
        }
        let mut carried = 0;
        for cell in cell_of.iter_mut() {
            carried = carried.max(*cell);
            *cell = carried;
        }
        let mut quantiles = Box::new([0f32; PROBABILITY_CELLS + 1]);
        for j in 1..PROBABILITY_CELLS {
            let target = j as f64 * step;
            let k = cell_of[j] as usize;
            let (lo, hi) = (cumulative[k], cumulative[k + 1]);
            let frac = if hi > lo { (target - lo) / (hi - lo) } else { 0.0 };
            quantiles[j] = ((k as f64 + frac) * h) as f32;
        }
        quantiles[PROBABILITY_CELLS] = 1.0;
        PertTable { quantiles }
    }

    /// The quantile at the uniform that 32 random bits stand for: the top
    /// 12 bits pick the cell, the other 20 the position inside it (the
    /// uniform's resolution, 2^-32, is far below the table's own error).
    /// Integer work and f32 arithmetic only, no clamping: the bulk draws'
    /// inner loop, which gets two draws from each 64-bit random number.
    #[inline(always)]
    pub fn quantile_of_bits(&self, bits: u32) -> f32 {
        quantile_in(&self.quantiles, bits)
    }

    /// `out[i] = min + width × quantile(bits[i])`: the bulk draws' loop. The
    /// table, the bits and `out` as separate references tell the compiler
    /// they do not overlap, so it can vectorise.
    #[inline(always)]
    fn fill_scaled(&self, min: f32, width: f32, bits: &[u32], out: &mut [f32]) {
        scale_quantiles(&self.quantiles, min, width, bits, out);
    }

    /// The u-quantile, u in (0, 1).
    #[inline]
    pub fn quantile(&self, u: f64) -> f64 {
        let position = u * PROBABILITY_CELLS as f64;
        let j = (position as usize).min(PROBABILITY_CELLS - 1);
        let frac = position - j as f64;
        let (lo, hi) = (f64::from(self.quantiles[j]), f64::from(self.quantiles[j + 1]));
        lo + frac * (hi - lo)
    }
}

#[inline(always)]
fn scale_quantiles(quantiles: &[f32; PROBABILITY_CELLS + 1], min: f32, width: f32, bits: &[u32], out: &mut [f32]) {
    for (x, b) in out.iter_mut().zip(bits) {
        *x = min + width * quantile_in(quantiles, *b);
    }
}

/// The quantile at the uniform that 32 random bits stand for (see
/// [`PertTable::quantile_of_bits`]).
#[inline(always)]
fn quantile_in(quantiles: &[f32; PROBABILITY_CELLS + 1], bits: u32) -> f32 {
    let j = (bits >> 20) as usize;
    // Through i32: the signed conversion is one vector instruction.
    let frac = ((bits & 0xF_FFFF) as i32 as f32 + 0.5) * (1.0 / 1_048_576.0);
    let (lo, hi) = (quantiles[j], quantiles[j + 1]);
    lo + frac * (hi - lo)
}

/// Fills `density[1..DENSITY_CELLS]` with the Beta(α, β) density's shape at
/// the inner grid points, divided by its largest value there (also divided
/// out of the end cells' masses); returns the logarithm of that largest value.
#[inline(always)]
fn relative_densities(alpha: f64, beta: f64, ln_x: &[f64], ln_1mx: &[f64], density: &mut [f32]) -> f64 {
    let inner = 1..DENSITY_CELLS;
    for ((d, lx), l1x) in density[inner.clone()].iter_mut().zip(&ln_x[inner.clone()]).zip(&ln_1mx[inner.clone()]) {
        *d = ((alpha - 1.0) * lx + (beta - 1.0) * l1x) as f32;
    }
    let peak = density[inner.clone()].iter().fold(f32::NEG_INFINITY, |m, &d| m.max(d));
    // In f32, with an exponential of our own that vectorises: its 1e-7
    // precision is far below the table's own error, and the exponentials are
    // most of the cost of building a table (portfolios build hundreds).
    density[inner].iter_mut().for_each(|d| *d = exp_f32(*d - peak));
    f64::from(peak)
}

multiversion!(fn build_table(alpha: f64, beta: f64) -> PertTable = PertTable::build);

/// e^x for x ≤ 0 in f32 arithmetic, relative error about 2e-7; 0 below −87
/// (where f32 stops being normal). Branch-free, so a loop of it is vector code.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts (Cody and Waite): n · LN2_HI is exact for the n here.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and taking away 1.5 · 2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let clamped = if x < -87.0 { -87.0 } else { x };
    // e^x = 2^n · e^r with |r| ≤ ln 2 / 2.
    let rounded = clamped * LOG2_E + ROUND;
    let n = rounded - ROUND;
    let r = (clamped - n * LN2_HI) - n * LN2_LO;
    // Taylor to the sixth power: the seventh term is below 1.2e-7 of e^r.
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // n as an integer from the rounded sum's low bits (no float conversion,
    // whose saturation checks would not vectorise), then 2^n from its exponent.
    let n_int = rounded.to_bits() as i32 - ROUND.to_bits() as i32;
    let scale = f32::from_bits(((n_int + 127) as u32) << 23);
    if x < -87.0 { 0.0 } else { p * scale }
}

/// A Poisson variate with mean `lambda`: inversion for small means, Hörmann's
/// transformed rejection (PTRS) for large ones.
pub fn poisson(rng: &mut Stream, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 10.0 {
        let mut u = rng.uniform();
        let mut k = 0u64;
        let mut p = (-lambda).exp();
        loop {
            if u <= p {
                return k;
            }
            u -= p;
            k += 1;
            p *= lambda / k as f64;
            if k > 1000 {
                return k;
            }
        }
    }
    let slam = lambda.sqrt();
    let loglam = lambda.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.uniform() - 0.5;
        let v = rng.uniform();
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if (v * inv_alpha / (a / (us * us) + b)).ln() <= -lambda + k * loglam - libm::lgamma(k + 1.0) {
            return k as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_mean_var(d: &Distribution, n: usize) -> (f64, f64) {
        let s = d.sampler();
        let mut rng = Stream::new(42, 0, 0);
        let xs: Vec<f64> = (0..n).map(|_| s.draw(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, var)
    }

    #[test]
    fn sample_means_match_closed_forms() {
        for d in [
            Distribution::Uniform { min: 2.0, max: 10.0 },
            Distribution::Triangular { min: 1.0, mode: 2.0, max: 9.0 },
            Distribution::Pert { min: 1.0, mode: 5.0, max: 20.0, gamma: 4.0, shape: PertShape::Modified },
            Distribution::Pert { min: 1.0, mode: 5.0, max: 20.0, gamma: 4.0, shape: PertShape::Classic },
            Distribution::Lognormal { p5: 1000.0, p95: 50_000.0 },
            Distribution::Normal { mean: 5.0, sd: 3.0, min: 0.0, max: 20.0 },
        ] {
            let (mean, _) = sample_mean_var(&d, 400_000);
            assert!((mean / d.mean() - 1.0).abs() < 0.01, "{d:?}: sampled {mean}, closed form {}", d.mean());
        }
    }

    #[test]
    fn modified_pert_variance_matches_its_closed_form() {
        let (a, b, c, g) = (10.0, 30.0, 100.0, 4.0);
        let d = Distribution::Pert { min: a, mode: b, max: c, gamma: g, shape: PertShape::Modified };
        let mu = d.mean();
        let closed = (mu - a) * (c - mu) / (g + 3.0);
        let (_, var) = sample_mean_var(&d, 400_000);
        assert!((var / closed - 1.0).abs() < 0.02, "variance {var} vs {closed}");
    }

    #[test]
    fn classic_pert_has_pyfairs_standard_deviation() {
        let (a, b, c) = (1.0, 5.0, 20.0);
        let d = Distribution::Pert { min: a, mode: b, max: c, gamma: 4.0, shape: PertShape::Classic };
        let (_, var) = sample_mean_var(&d, 400_000);
        let sd = (c - a) / 6.0;
        assert!((var.sqrt() / sd - 1.0).abs() < 0.01, "sd {} vs {sd}", var.sqrt());
    }

    #[test]
    fn pert_quantiles_match_the_closed_form_where_one_exists() {
        // Mode at the minimum: Beta(1, 1 + γ), whose quantile is 1 − (1 − u)^(1/β).
        let table = PertTable::new(1.0, 5.0);
        for u in [0.01_f64, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
            let closed = 1.0 - (1.0 - u).powf(1.0 / 5.0);
            assert!((table.quantile(u) - closed).abs() < 2e-5, "u={u}: {} vs {closed}", table.quantile(u));
        }
        // A symmetric PERT has its median in the middle.
        assert!((PertTable::new(3.0, 3.0).quantile(0.5) - 0.5).abs() < 1e-6);
        // Shapes below 1 (U-shaped densities) are handled at the ends.
        let u_shaped = PertTable::new(0.5, 0.5);
        let arcsine = |u: f64| (std::f64::consts::FRAC_PI_2 * u).sin().powi(2);
        for u in [0.1, 0.3, 0.5, 0.9] {
            assert!((u_shaped.quantile(u) - arcsine(u)).abs() < 1e-3, "u={u}");
        }
    }

    #[test]
    fn the_tables_exponential_is_accurate() {
        for i in 0..=8700 {
            let x = -(i as f32) / 100.0;
            let exact = f64::from(x).exp();
            let relative = (f64::from(exp_f32(x)) - exact).abs() / exact;
            assert!(relative < 3e-7, "e^{x}: {} vs {exact}", exp_f32(x));
        }
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-90.0), 0.0);
    }

    #[test]
    fn very_peaked_shapes_do_not_underflow() {
        // γ = 100 with the mode in the middle: the density's shape peaks at
        // 0.5^100 of its x^(α−1) scale, far below f32's range unless rescaled.
        let table = PertTable::new(51.0, 51.0);
        assert!((table.quantile(0.5) - 0.5).abs() < 1e-4);
        let spread = table.quantile(0.95) - table.quantile(0.05);
        // Beta(51, 51): standard deviation 0.0495, so a 90% interval of about 0.163.
        assert!((spread - 0.1628).abs() < 2e-3, "{spread}");
    }

    #[test]
    fn lognormal_quantiles_match_the_interval() {
        let d = Distribution::Lognormal { p5: 1000.0, p95: 50_000.0 };
        let s = d.sampler();
        let mut rng = Stream::new(3, 0, 0);
        let mut xs: Vec<f64> = (0..200_000).map(|_| s.draw(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        let p5 = xs[xs.len() / 20];
        let p95 = xs[xs.len() * 19 / 20];
        assert!((p5 / 1000.0 - 1.0).abs() < 0.03 && (p95 / 50_000.0 - 1.0).abs() < 0.03, "{p5} {p95}");
    }

    #[test]
    fn poisson_means_and_variances_are_lambda() {
        for lambda in [0.3, 4.0, 25.0, 400.0] {
            let mut rng = Stream::new(9, 0, 0);
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, lambda) as f64).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!((mean / lambda - 1.0).abs() < 0.02, "λ={lambda}: mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.03, "λ={lambda}: variance {var}");
        }
    }

    #[test]
    fn bad_parameters_name_the_field_and_the_reason() {
        let err = |d: Distribution, q| d.validate("tef", q).unwrap_err().to_string();
        assert!(
            err(
                Distribution::Pert { min: 5.0, mode: 1.0, max: 9.0, gamma: 4.0, shape: PertShape::Modified },
                Quantity::NonNegative
            )
            .contains("min (5) must not exceed mode (1)")
        );
        assert!(
            err(Distribution::Triangular { min: 0.0, mode: 10.0, max: 9.0 }, Quantity::NonNegative)
                .contains("mode (10) must not exceed max (9)")
        );
        assert!(err(Distribution::Uniform { min: 0.2, max: 1.5 }, Quantity::Probability).contains("within [0, 1]"));
        assert!(err(Distribution::Constant(-3.0), Quantity::NonNegative).contains("cannot be negative"));
        assert!(err(Distribution::Lognormal { p5: 0.0, p95: 10.0 }, Quantity::NonNegative).contains("tef.p5"));
        assert!(
            err(Distribution::Normal { mean: 0.0, sd: 1.0, min: 50.0, max: 60.0 }, Quantity::NonNegative)
                .contains("less than 0.1%")
        );
        assert!(err(Distribution::Constant(f64::NAN), Quantity::NonNegative).contains("finite"));
    }
}
