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

/// Moments are summed per block of this many samples, and the blocks' sums
/// added in order, so the result is the same whatever the thread count.
const SUM_BLOCK: usize = 1 << 16;

/// Runs `f` on up to `threads` consecutive parts of `samples` (each a whole
/// number of [`SUM_BLOCK`]s), in parallel, and returns the results in order.
fn on_parts<T: Send>(samples: &[f64], threads: usize, f: impl Fn(&[f64]) -> T + Sync) -> Vec<T> {
    let blocks = samples.len().div_ceil(SUM_BLOCK).max(1);
    let threads = threads.clamp(1, blocks);
    if threads == 1 {
        return vec![f(samples)];
    }
    let part = blocks.div_ceil(threads) * SUM_BLOCK;
    std::thread::scope(|scope| {
        let handles: Vec<_> = samples.chunks(part).map(|chunk| scope.spawn(|| f(chunk))).collect();
        handles.into_iter().map(|h| h.join().expect("a summary thread panicked")).collect()
    })
}

/// What the first pass learns from a part of the sample.
struct FirstPass {
    min: f64,
    max: f64,
    /// Per block of [`SUM_BLOCK`] samples: sums of x − shift and of its square.
    sums: Vec<(f64, f64)>,
    /// Samples per radix bucket.
    buckets: Vec<u32>,
}

/// Bits of the order key that pick a bucket in the first pass: sign, exponent
/// and four mantissa bits (a bucket spans a sixteenth of an octave) for large
/// samples; two mantissa bits below a million samples, where the smaller
/// tables stay in the first-level cache and the buckets stay small anyway.
fn bucket_shift(n: usize) -> u32 {
    64 - if n >= 1 << 20 { 16 } else { 14 }
}

fn first_pass(samples: &[f64], shift: f64, bucket_shift: u32) -> FirstPass {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut buckets = vec![0u32; 1 << (64 - bucket_shift)];
    let mut sums = Vec::with_capacity(samples.len().div_ceil(SUM_BLOCK));
    for block in samples.chunks(SUM_BLOCK) {
        let (mut sum, mut squares) = (0.0, 0.0);
        for &x in block {
            min = min.min(x);
            max = max.max(x);
            let d = x - shift;
            sum += d;
            squares += d * d;
            buckets[(order_key(x) >> bucket_shift) as usize] += 1;
        }
        sums.push((sum, squares));
    }
    FirstPass { min, max, sums, buckets }
}

/// Summarises `samples`, each pass split over `threads` threads. The result
/// is the same whatever the thread count.
pub fn summarize_on(samples: &[f64], percentiles: &[f64], threads: usize) -> Summary {
    let n = samples.len();
    let nf = n as f64;
    // One pass for the moments and the radix buckets: sums shifted by the
    // first sample keep the variance accurate without a second pass.
    let shift = samples.first().copied().unwrap_or(0.0);
    let radix = bucket_shift(n);
    let mut parts = on_parts(samples, threads, |part| first_pass(part, shift, radix)).into_iter();
    let mut first = parts.next().unwrap_or_else(|| first_pass(&[], shift, radix));
    for p in parts {
        first.min = first.min.min(p.min);
        first.max = first.max.max(p.max);
        first.sums.extend(p.sums);
        first.buckets.iter_mut().zip(&p.buckets).for_each(|(a, b)| *a += b);
    }
    let FirstPass { min, max, sums, buckets } = first;
    let (sum, squares) = sums.iter().fold((0.0, 0.0), |(s, q), (bs, bq)| (s + bs, q + bq));
    let mean = shift + sum / nf;
    let stdev = if n > 1 { ((squares - sum * sum / nf) / (nf - 1.0)).max(0.0).sqrt() } else { 0.0 };

    let mut requests: Vec<f64> = percentiles.to_vec();
    requests.push(RANGE_PERCENTILE);
    let mut found = select_percentiles(samples, &buckets, radix, &requests, threads);
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
    for part in on_parts(samples, threads, |part| {
        // Four interleaved tallies: runs of samples in one bin would otherwise
        // wait on each other's increments.
        let mut tallies = [[0u32; BINS]; 4];
        let bin = |x: f64| (((x - min) * per_width) as usize).min(BINS - 1);
        let mut quads = part.chunks_exact(4);
        for q in &mut quads {
            tallies[0][bin(q[0])] += 1;
            tallies[1][bin(q[1])] += 1;
            tallies[2][bin(q[2])] += 1;
            tallies[3][bin(q[3])] += 1;
        }
        for &x in quads.remainder() {
            tallies[0][bin(x)] += 1;
        }
        let mut counts = [0u64; BINS];
        for t in &tallies {
            counts.iter_mut().zip(t).for_each(|(c, n)| *c += u64::from(*n));
        }
        counts
    }) {
        counts.iter_mut().zip(part).for_each(|(a, b)| *a += b);
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

/// Percentiles by radix selection, each interpolated linearly between order
/// statistics as numpy and pandas do.
///
/// The first pass counted samples per bucket of the top bits of their order
/// key (`buckets`); a second pass gathers only the buckets holding the wanted
/// ranks, which are then selected among. Two linear passes instead of one
/// selection per percentile over the whole sample.
fn select_percentiles(
    samples: &[f64],
    buckets: &[u32],
    bucket_shift: u32,
    percentiles: &[f64],
    threads: usize,
) -> BTreeMap<String, f64> {
    let n = samples.len();
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
        while below + buckets[bucket] as usize <= rank {
            below += buckets[bucket] as usize;
            bucket += 1;
        }
        located.insert(rank, (bucket, below));
    }
    // Dense bucket → slot map: the second pass is a lookup per sample. At
    // most 202 ranks (100 percentiles) fit the u8 slots below NONE.
    const NONE: u8 = u8::MAX;
    let mut slot_of = vec![NONE; buckets.len()];
    let mut slots = 0usize;
    for &(bucket, _) in located.values() {
        if slot_of[bucket] == NONE {
            slot_of[bucket] = slots as u8;
            slots += 1;
        }
    }
    let mut gathered: Vec<Vec<f64>> = vec![Vec::new(); slots];
    for part in on_parts(samples, threads, |part| {
        let mut found: Vec<Vec<f64>> = vec![Vec::new(); slots];
        for &x in part {
            let slot = slot_of[(order_key(x) >> bucket_shift) as usize];
            if slot != NONE {
                found[slot as usize].push(x);
            }
        }
        found
    }) {
        gathered.iter_mut().zip(part).for_each(|(all, some)| all.extend(some));
    }
    // Each wanted rank by selection inside its bucket (a bucket near the
    // median can hold tens of thousands of samples: no full sort).
    let mut value_of_rank: BTreeMap<usize, f64> = BTreeMap::new();
    for (&rank, &(bucket, below)) in &located {
        let list = &mut gathered[slot_of[bucket] as usize];
        let (_, value, _) = list.select_nth_unstable_by(rank - below, f64::total_cmp);
        value_of_rank.insert(rank, *value);
    }
    let value_at = |rank: usize| value_of_rank[&rank];
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
        let s = summarize_on(&xs, &[5.0, 50.0, 99.0, 12.5], 1);
        assert_eq!(s.percentiles["p5"], 6.0);
        assert_eq!(s.percentiles["p50"], 51.0);
        assert_eq!(s.percentiles["p99"], 100.0);
        assert_eq!(s.percentiles["p12.5"], 13.5);
        assert_eq!((s.min, s.max, s.mean), (1.0, 101.0, 51.0));
    }

    #[test]
    fn radix_selection_agrees_with_sorting() {
        // Both bucket widths: below and above a million samples.
        for n in [20_000, 1 << 20] {
            let mut state = 12345u64;
            let mut xs: Vec<f64> = (0..n)
                .map(|i| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                    if i % 7 == 0 { 0.0 } else { (u * 30.0).exp() - 1.0 }
                })
                .collect();
            let wanted = [0.1, 5.0, 33.3, 50.0, 90.0, 99.0, 99.9];
            let fast = summarize_on(&xs, &wanted, 3).percentiles;
            xs.sort_by(f64::total_cmp);
            for p in wanted {
                let pos = p / 100.0 * (xs.len() as f64 - 1.0);
                let k = pos.floor() as usize;
                let exact = xs[k] + (pos - k as f64) * (xs[k + 1] - xs[k]);
                assert_eq!(fast[&percentile_key(p)], exact, "n={n} p{p}");
            }
        }
    }

    #[test]
    fn histogram_and_exceedance_account_for_every_sample() {
        let xs: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = summarize_on(&xs, &[50.0], 2);
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert_eq!(s.loss_exceedance.first().unwrap().probability, 1.0);
        assert_eq!(s.histogram.last().unwrap().to, 999.0, "the last bin reaches the maximum");
        assert!(!s.percentiles.contains_key("p99.9"), "only the requested percentiles are reported");
        assert_eq!(s.loss_exceedance.last().unwrap().probability, 0.0);
        assert!(s.loss_exceedance.windows(2).all(|w| w[0].probability >= w[1].probability));
        assert_eq!(exceedance(&xs, 899.5), 0.1);
    }
}
