//! Summaries of a sample: moments, percentiles, histogram, loss exceedance.

use std::collections::BTreeMap;

use serde::Serialize;

/// Bins of the histogram and points of the loss exceedance curve.
const BINS: usize = 50;
/// The histogram and curve span the samples up to this percentile.
const RANGE_PERCENTILE: f64 = 99.9;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// Probability that the annual loss exceeds `loss`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceedancePoint {
    pub loss: f64,
    pub probability: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub stdev: f64,
    pub min: f64,
    pub max: f64,
    /// Keyed `p5`, `p50`, `p99.9`… (linear interpolation between order statistics, as numpy and pandas do).
    pub percentiles: BTreeMap<String, f64>,
    pub histogram: Vec<Bin>,
    pub loss_exceedance: Vec<ExceedancePoint>,
}

pub fn percentile_key(p: f64) -> String {
    let text = format!("{p}");
    format!("p{}", text.trim_end_matches(".0"))
}

/// Summarises `samples`; reorders them (percentiles are found by selection).
pub fn summarize(samples: &mut [f64], percentiles: &[f64]) -> Summary {
    let n = samples.len();
    let nf = n as f64;
    let mean = samples.iter().sum::<f64>() / nf;
    let (mut min, mut max, mut squares) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    for &x in samples.iter() {
        min = min.min(x);
        max = max.max(x);
        squares += (x - mean) * (x - mean);
    }
    let stdev = if n > 1 { (squares / (nf - 1.0)).sqrt() } else { 0.0 };

    let mut requests: Vec<f64> = percentiles.to_vec();
    requests.push(RANGE_PERCENTILE);
    let mut found = select_percentiles(samples, &requests);
    // Heavy tails would squeeze every bin but one into the first few: bins
    // span [min, p99.9] evenly and the last one also holds the rest of the tail.
    let upper = if percentiles.contains(&RANGE_PERCENTILE) {
        found[&percentile_key(RANGE_PERCENTILE)]
    } else {
        found.remove(&percentile_key(RANGE_PERCENTILE)).unwrap_or(max)
    };
    let width = if upper > min { (upper - min) / BINS as f64 } else { 1.0 };
    let mut counts = [0u64; BINS];
    for &x in samples.iter() {
        let bin = (((x - min) / width) as usize).min(BINS - 1);
        counts[bin] += 1;
    }
    let histogram: Vec<Bin> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| Bin {
            from: min + i as f64 * width,
            to: if i == BINS - 1 { max } else { min + (i + 1) as f64 * width },
            count,
        })
        .collect();
    // The exceedance at each bin's upper edge counts the bins above it exactly.
    let mut above = n as u64;
    let mut loss_exceedance = vec![ExceedancePoint { loss: min, probability: 1.0 }];
    for bin in &histogram {
        above -= bin.count;
        loss_exceedance.push(ExceedancePoint { loss: bin.to, probability: above as f64 / nf });
    }
    Summary { mean, stdev, min, max, percentiles: found, histogram, loss_exceedance }
}

/// Percentiles by selection (no full sort), each interpolated linearly between
/// order statistics as numpy and pandas do. Reorders `samples`.
fn select_percentiles(samples: &mut [f64], percentiles: &[f64]) -> BTreeMap<String, f64> {
    let n = samples.len();
    let mut sorted_requests = percentiles.to_vec();
    sorted_requests.sort_by(f64::total_cmp);
    let mut found = BTreeMap::new();
    let mut start = 0;
    for p in sorted_requests {
        let position = p / 100.0 * (n as f64 - 1.0);
        let k = (position.floor() as usize).max(start);
        let (_, kth, _) = samples[start..].select_nth_unstable_by(k - start, f64::total_cmp);
        let lower = *kth;
        let upper = if k + 1 < n { samples[k + 1..].iter().copied().fold(f64::INFINITY, f64::min) } else { lower };
        found.insert(percentile_key(p), lower + (position - k as f64) * (upper - lower));
        start = k;
    }
    found
}

/// The share of `samples` above `loss`.
pub fn exceedance(samples: &[f64], loss: f64) -> f64 {
    samples.iter().filter(|x| **x > loss).count() as f64 / samples.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let mut xs: Vec<f64> = (1..=101).rev().map(f64::from).collect();
        let s = summarize(&mut xs, &[5.0, 50.0, 99.0, 12.5]);
        assert_eq!(s.percentiles["p5"], 6.0);
        assert_eq!(s.percentiles["p50"], 51.0);
        assert_eq!(s.percentiles["p99"], 100.0);
        assert_eq!(s.percentiles["p12.5"], 13.5);
        assert_eq!((s.min, s.max, s.mean), (1.0, 101.0, 51.0));
    }

    #[test]
    fn histogram_and_exceedance_account_for_every_sample() {
        let mut xs: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = summarize(&mut xs, &[50.0]);
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert_eq!(s.loss_exceedance.first().unwrap().probability, 1.0);
        assert_eq!(s.histogram.last().unwrap().to, 999.0, "the last bin reaches the maximum");
        assert!(!s.percentiles.contains_key("p99.9"), "only the requested percentiles are reported");
        assert_eq!(s.loss_exceedance.last().unwrap().probability, 0.0);
        assert!(s.loss_exceedance.windows(2).all(|w| w[0].probability >= w[1].probability));
        assert_eq!(exceedance(&xs, 899.5), 0.1);
    }
}
