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

/// A simulated value: scenario losses are kept as f32, portfolio sums as f64.
pub trait Sample: Copy + Send + Sync + 'static {
    fn value(self) -> f64;
    /// A u64 whose unsigned order is the numeric order of the value (finite
    /// values); its top bits pick the radix bucket.
    fn order_key(self) -> u64;
    fn total_cmp(&self, other: &Self) -> std::cmp::Ordering;
}

impl Sample for f64 {
    #[inline(always)]
    fn value(self) -> f64 {
        self
    }

    #[inline(always)]
    fn order_key(self) -> u64 {
        let bits = self.to_bits();
        // Negative: flip every bit; positive: set the sign bit. Branch-free: the
        // mask is all ones for a negative number, the sign bit alone otherwise.
        bits ^ (((bits as i64 >> 63) as u64) | (1 << 63))
    }

    fn total_cmp(&self, other: &Self) -> std::cmp::Ordering {
        f64::total_cmp(self, other)
    }
}

impl Sample for f32 {
    #[inline(always)]
    fn value(self) -> f64 {
        f64::from(self)
    }

    #[inline(always)]
    fn order_key(self) -> u64 {
        let bits = self.to_bits();
        u64::from(bits ^ (((bits as i32 >> 31) as u32) | (1 << 31))) << 32
    }

    fn total_cmp(&self, other: &Self) -> std::cmp::Ordering {
        f32::total_cmp(self, other)
    }
}

/// Moments are taken per block of this many samples and the blocks combined
/// in order, so the result is the same whatever the thread count. It is the
/// simulation's chunk size, so the simulation can tally its chunks itself.
pub(crate) const SUM_BLOCK: usize = 1 << 14;

/// Runs `f(start, part)` on up to `threads` consecutive parts of `samples`
/// (each a whole number of [`SUM_BLOCK`]s, `start` its first index), in
/// parallel, and returns the results in order.
fn on_parts<S: Sample, T: Send>(samples: &[S], threads: usize, f: impl Fn(usize, &[S]) -> T + Sync) -> Vec<T> {
    let blocks = samples.len().div_ceil(SUM_BLOCK).max(1);
    let threads = threads.clamp(1, blocks);
    if threads == 1 {
        return vec![f(0, samples)];
    }
    let part = blocks.div_ceil(threads) * SUM_BLOCK;
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> =
            samples.chunks(part).enumerate().map(|(i, chunk)| scope.spawn(move || f(i * part, chunk))).collect();
        handles.into_iter().map(|h| h.join().expect("a summary thread panicked")).collect()
    })
}

/// The moments of one block of samples: count, mean and sum of squared
/// deviations (computed around the block's first value, so a block of equal
/// values has exactly zero spread).
#[derive(Debug, Clone, Copy)]
struct BlockMoments {
    n: f64,
    mean: f64,
    m2: f64,
}

/// What the first pass learns: moments per block (keyed by the block's
/// position, so they combine in the same order whichever thread made them)
/// and the radix bucket counts.
#[derive(Debug)]
pub(crate) struct Tally {
    blocks: Vec<(usize, BlockMoments)>,
    buckets: Vec<u32>,
}

/// Bits of the order key that pick a bucket in the first pass: sign, exponent
/// and four mantissa bits, so a bucket spans a sixteenth of an octave and the
/// buckets holding the wanted ranks stay small. (Two mantissa bits made the
/// tables smaller but the gathered buckets four times larger: slower.)
const BUCKET_SHIFT: u32 = 64 - 16;

impl Tally {
    pub(crate) fn new() -> Tally {
        Tally { blocks: Vec::new(), buckets: vec![0u32; 1 << (64 - BUCKET_SHIFT)] }
    }

    /// Counts one block (the block at `position` of the whole sample).
    pub(crate) fn add_block<S: Sample>(&mut self, position: usize, block: &[S]) {
        let Some(first) = block.first() else { return };
        let shift = first.value();
        // Four running sums each: one would wait on the previous addition.
        let (mut sum, mut squares) = ([0.0f64; 4], [0.0f64; 4]);
        let mut quads = block.chunks_exact(4);
        for q in &mut quads {
            for lane in 0..4 {
                let d = q[lane].value() - shift;
                sum[lane] += d;
                squares[lane] += d * d;
                self.buckets[(q[lane].order_key() >> BUCKET_SHIFT) as usize] += 1;
            }
        }
        for &x in quads.remainder() {
            let d = x.value() - shift;
            sum[0] += d;
            squares[0] += d * d;
            self.buckets[(x.order_key() >> BUCKET_SHIFT) as usize] += 1;
        }
        let n = block.len() as f64;
        let (sum, squares) =
            ((sum[0] + sum[1]) + (sum[2] + sum[3]), (squares[0] + squares[1]) + (squares[2] + squares[3]));
        self.blocks.push((position, BlockMoments { n, mean: shift + sum / n, m2: (squares - sum * sum / n).max(0.0) }));
    }

    /// Adds another part's tally.
    pub(crate) fn merge(&mut self, other: Tally) {
        self.blocks.extend(other.blocks);
        self.buckets.iter_mut().zip(&other.buckets).for_each(|(a, b)| *a += b);
    }

    /// Mean and sample standard deviation: the blocks combined in position
    /// order (Chan et al.'s pairwise update).
    fn moments(&mut self) -> (f64, f64) {
        self.blocks.sort_unstable_by_key(|(position, _)| *position);
        let mut total = BlockMoments { n: 0.0, mean: 0.0, m2: 0.0 };
        for (_, b) in &self.blocks {
            let n = total.n + b.n;
            let delta = b.mean - total.mean;
            total = BlockMoments {
                n,
                mean: total.mean + delta * b.n / n,
                m2: total.m2 + b.m2 + delta * delta * total.n * b.n / n,
            };
        }
        let stdev = if total.n > 1.0 { (total.m2 / (total.n - 1.0)).sqrt() } else { 0.0 };
        (total.mean, stdev)
    }
}

/// Summarises `samples`, each pass split over `threads` threads. The result
/// is the same whatever the thread count.
pub fn summarize_on<S: Sample>(samples: &[S], percentiles: &[f64], threads: usize) -> Summary {
    let parts = on_parts(samples, threads, |start, part| {
        let mut tally = Tally::new();
        for (i, block) in part.chunks(SUM_BLOCK).enumerate() {
            tally.add_block(start + i * SUM_BLOCK, block);
        }
        tally
    });
    let tally = parts
        .into_iter()
        .reduce(|mut all, part| {
            all.merge(part);
            all
        })
        .unwrap_or_else(Tally::new);
    summarize_tallied(samples, tally, percentiles, threads)
}

/// Summarises `samples` whose first pass is already done (the simulation
/// tallies each chunk while it is still in the cache).
pub(crate) fn summarize_tallied<S: Sample>(
    samples: &[S],
    mut tally: Tally,
    percentiles: &[f64],
    threads: usize,
) -> Summary {
    let n = samples.len();
    let nf = n as f64;
    let (mean, stdev) = tally.moments();
    let buckets = tally.buckets;

    // Every order statistic needed, by radix selection: the two around each
    // percentile (and p99.9, where the histogram ends), and the extremes.
    let mut requests: Vec<f64> = percentiles.to_vec();
    requests.push(RANGE_PERCENTILE);
    let positions: Vec<f64> = requests.iter().map(|p| p / 100.0 * (nf - 1.0)).collect();
    let mut ranks: Vec<usize> = vec![0, n - 1];
    ranks.extend(positions.iter().flat_map(|pos| [pos.floor() as usize, (pos.floor() as usize + 1).min(n - 1)]));
    let order = select_ranks(samples, &buckets, ranks, threads);
    let (min, max) = (order[&0], order[&(n - 1)]);
    let interpolated = |position: f64| {
        let k = position.floor() as usize;
        let (lower, upper) = (order[&k], order[&(k + 1).min(n - 1)]);
        lower + (position - k as f64) * (upper - lower)
    };
    let found: BTreeMap<String, f64> =
        percentiles.iter().zip(&positions).map(|(p, pos)| (percentile_key(*p), interpolated(*pos))).collect();
    // Heavy tails would squeeze every bin but one into the first few: bins
    // span [min, p99.9] evenly and the last one also holds the rest of the tail.
    let upper = interpolated(positions[positions.len() - 1]);
    let width = if upper > min { (upper - min) / BINS as f64 } else { 1.0 };
    let per_width = 1.0 / width;
    let mut counts = [0u64; BINS];
    for part in on_parts(samples, threads, |_, part| {
        // Four interleaved tallies: runs of samples in one bin would otherwise
        // wait on each other's increments.
        let mut tallies = [[0u32; BINS]; 4];
        // Clamped as a float, converted through i32: the cheapest conversion.
        let bin = |x: S| ((x.value() - min) * per_width).min((BINS - 1) as f64) as i32 as usize;
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

/// The samples at the given ranks (0: the smallest) by radix selection.
///
/// The first pass counted samples per bucket of the top bits of their order
/// key (`buckets`); a second pass gathers only the buckets holding the wanted
/// ranks, and each rank is selected inside its bucket. Two linear passes
/// instead of a sort, or of a selection over the whole sample per rank.
fn select_ranks<S: Sample>(
    samples: &[S],
    buckets: &[u32],
    mut ranks: Vec<usize>,
    threads: usize,
) -> BTreeMap<usize, f64> {
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
    // most 204 ranks (100 percentiles, p99.9, the extremes) fit the u8 slots
    // below NONE.
    const NONE: u8 = u8::MAX;
    let mut slot_of = vec![NONE; buckets.len()];
    let mut slots = 0usize;
    for &(bucket, _) in located.values() {
        if slot_of[bucket] == NONE {
            slot_of[bucket] = slots as u8;
            slots += 1;
        }
    }
    let mut gathered: Vec<Vec<S>> = vec![Vec::new(); slots];
    for part in on_parts(samples, threads, |_, part| {
        let mut found: Vec<Vec<S>> = vec![Vec::new(); slots];
        for &x in part {
            let slot = slot_of[(x.order_key() >> BUCKET_SHIFT) as usize];
            if slot != NONE {
                found[slot as usize].push(x);
            }
        }
        found
    }) {
        gathered.iter_mut().zip(part).for_each(|(all, some)| all.extend(some));
    }
    // Each rank by selection inside its bucket (a bucket near the median can
    // hold tens of thousands of samples: no full sort).
    located
        .into_iter()
        .map(|(rank, (bucket, below))| {
            let list = &mut gathered[slot_of[bucket] as usize];
            let (_, value, _) = list.select_nth_unstable_by(rank - below, S::total_cmp);
            (rank, value.value())
        })
        .collect()
}

/// The share of `samples` above `loss`.
pub fn exceedance<S: Sample>(samples: &[S], loss: f64) -> f64 {
    samples.iter().filter(|x| x.value() > loss).count() as f64 / samples.len() as f64
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
        // A sample smaller and one larger than the bucket table.
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
            // The same ranks among the values rounded to f32, as scenarios keep them.
            let mut narrow: Vec<f32> = xs.iter().map(|x| *x as f32).collect();
            let fast_narrow = summarize_on(&narrow, &wanted, 2).percentiles;
            narrow.sort_by(f32::total_cmp);
            for p in wanted {
                let pos = p / 100.0 * (narrow.len() as f64 - 1.0);
                let k = pos.floor() as usize;
                let (lo, hi) = (f64::from(narrow[k]), f64::from(narrow[k + 1]));
                assert_eq!(fast_narrow[&percentile_key(p)], lo + (pos - k as f64) * (hi - lo), "f32 n={n} p{p}");
            }
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
