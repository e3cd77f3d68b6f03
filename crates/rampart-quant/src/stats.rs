//! Summaries of a sample: moments, percentiles, histogram, loss exceedance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Bins of the histogram and points of the loss exceedance curve.
const BINS: usize = 50;
/// The histogram and curve span the samples up to this percentile.
const RANGE_PERCENTILE: f64 = 99.9;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// Probability that the annual loss exceeds `loss`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceedancePoint {
    pub loss: f64,
    pub probability: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// Summarises `samples`.
pub fn summarize(samples: &[f64], percentiles: &[f64]) -> Summary {
    let n = samples.len();
    let nf = n as f64;
    // One pass for the moments: sums shifted by the first sample keep the
    // variance accurate without a second pass.
    let shift = samples.first().copied().unwrap_or(0.0);
    let (mut min, mut max, mut sum, mut squares) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0.0);
    for &x in samples {
        min = min.min(x);
        max = max.max(x);
        let d = x - shift;
        sum += d;
        squares += d * d;
    }
    let mean = shift + sum / nf;
    let stdev = if n > 1 { ((squares - sum * sum / nf) / (nf - 1.0)).max(0.0).sqrt() } else { 0.0 };

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
    let per_width = 1.0 / width;
    let mut counts = [0u64; BINS];
    for &x in samples {
        counts[(((x - min) * per_width) as usize).min(BINS - 1)] += 1;
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

/// A u64 whose unsigned order is the numeric order of `x` (finite values).
#[inline]
fn order_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// Bits of the order key that pick a bucket in the first pass: sign, exponent
/// and four mantissa bits, so a bucket spans a sixteenth of an octave.
const BUCKET_BITS: u32 = 16;

/// Percentiles by radix selection, each interpolated linearly between order
/// statistics as numpy and pandas do.
///
/// One pass counts samples per bucket of the top bits of their order key; a
/// second pass gathers only the buckets holding the wanted ranks, which are
/// then selected among. Two linear passes instead of one selection per
/// percentile over the whole sample.
fn select_percentiles(samples: &[f64], percentiles: &[f64]) -> BTreeMap<String, f64> {
    let n = samples.len();
    let shift = 64 - BUCKET_BITS;
    let mut counts = vec![0u32; 1 << BUCKET_BITS];
    for &x in samples {
        counts[(order_key(x) >> shift) as usize] += 1;
    }
    // The ranks needed: for each percentile, the order statistics around it.
    let positions: Vec<(f64, f64)> = percentiles.iter().map(|p| (*p, p / 100.0 * (n as f64 - 1.0))).collect();
    let mut ranks: Vec<usize> =
        positions.iter().flat_map(|(_, pos)| [pos.floor() as usize, (pos.floor() as usize + 1).min(n - 1)]).collect();
    ranks.sort_unstable();
    ranks.dedup();
    // For each rank: its bucket, and how many samples lie in lower buckets.
    let mut located: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let (mut bucket, mut below) = (0usize, 0usize);
    for &rank in &ranks {
        while below + counts[bucket] as usize <= rank {
            below += counts[bucket] as usize;
            bucket += 1;
        }
        located.insert(rank, (bucket, below));
    }
    // Dense bucket → slot map: the second pass is a lookup per sample.
    let mut slot_of = vec![u32::MAX; counts.len()];
    let mut gathered: Vec<Vec<f64>> = Vec::new();
    for &(bucket, _) in located.values() {
        if slot_of[bucket] == u32::MAX {
            slot_of[bucket] = gathered.len() as u32;
            gathered.push(Vec::with_capacity(counts[bucket] as usize));
        }
    }
    for &x in samples {
        let slot = slot_of[(order_key(x) >> shift) as usize];
        if slot != u32::MAX {
            gathered[slot as usize].push(x);
        }
    }
    for list in gathered.iter_mut() {
        list.sort_unstable_by(f64::total_cmp);
    }
    let value_at = |rank: usize| {
        let (bucket, below) = located[&rank];
        gathered[slot_of[bucket] as usize][rank - below]
    };
    positions
        .into_iter()
        .map(|(p, position)| {
            let k = position.floor() as usize;
            let (lower, upper) = (value_at(k), value_at((k + 1).min(n - 1)));
            (percentile_key(p), lower + (position - k as f64) * (upper - lower))
        })
        .collect()
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
        let xs: Vec<f64> = (1..=101).rev().map(f64::from).collect();
        let s = summarize(&xs, &[5.0, 50.0, 99.0, 12.5]);
        assert_eq!(s.percentiles["p5"], 6.0);
        assert_eq!(s.percentiles["p50"], 51.0);
        assert_eq!(s.percentiles["p99"], 100.0);
        assert_eq!(s.percentiles["p12.5"], 13.5);
        assert_eq!((s.min, s.max, s.mean), (1.0, 101.0, 51.0));
    }

    #[test]
    fn radix_selection_agrees_with_sorting() {
        let mut state = 12345u64;
        let mut xs: Vec<f64> = (0..20_000)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                if i % 7 == 0 { 0.0 } else { (u * 30.0).exp() - 1.0 }
            })
            .collect();
        let wanted = [0.1, 5.0, 33.3, 50.0, 90.0, 99.0, 99.9];
        let fast = select_percentiles(&xs, &wanted);
        xs.sort_by(f64::total_cmp);
        for p in wanted {
            let pos = p / 100.0 * (xs.len() as f64 - 1.0);
            let k = pos.floor() as usize;
            let exact = xs[k] + (pos - k as f64) * (xs[k + 1] - xs[k]);
            assert_eq!(fast[&percentile_key(p)], exact, "p{p}");
        }
    }

    #[test]
    fn histogram_and_exceedance_account_for_every_sample() {
        let xs: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = summarize(&xs, &[50.0]);
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert_eq!(s.loss_exceedance.first().unwrap().probability, 1.0);
        assert_eq!(s.histogram.last().unwrap().to, 999.0, "the last bin reaches the maximum");
        assert!(!s.percentiles.contains_key("p99.9"), "only the requested percentiles are reported");
        assert_eq!(s.loss_exceedance.last().unwrap().probability, 0.0);
        assert!(s.loss_exceedance.windows(2).all(|w| w[0].probability >= w[1].probability));
        assert_eq!(exceedance(&xs, 899.5), 0.1);
    }
}
