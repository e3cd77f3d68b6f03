//! Summaries of a sample: moments, percentiles, histogram, loss exceedance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cpu::multiversion;

/// Bins of the histogram and points of the loss exceedance curve.
const BINS: usize = 50;
/// The histogram and curve span the samples up to just past this percentile.
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
    /// The radix bucket: the top [`BUCKET_BITS`] bits of the value's f32 order
    /// key (sign, exponent and seven mantissa bits, so a bucket spans 1/128
    /// of an octave). Buckets are in the order of the values they hold.
    fn bucket(self) -> usize;
    fn total_cmp(&self, other: &Self) -> std::cmp::Ordering;
}

/// A u32 whose unsigned order is the numeric order of the (non-NaN) f32.
#[inline(always)]
fn order_key(x: f32) -> u32 {
    let bits = x.to_bits();
    // Negative: flip every bit; positive: set the sign bit. Branch-free: the
    // mask is all ones for a negative number, the sign bit alone otherwise.
    bits ^ (((bits as i32 >> 31) as u32) | (1 << 31))
}

/// The smallest value of a bucket: [`order_key`] undone.
fn bucket_start(bucket: usize) -> f64 {
    let key = (bucket as u32) << (32 - BUCKET_BITS);
    let bits = if key & (1 << 31) != 0 { key ^ (1 << 31) } else { !key };
    f64::from(f32::from_bits(bits))
}

impl Sample for f64 {
    #[inline(always)]
    fn value(self) -> f64 {
        self
    }

    /// Rounding to f32 keeps the order (it is monotonic), so buckets of f64
    /// values are as ordered as their values.
    #[inline(always)]
    fn bucket(self) -> usize {
        (self as f32).bucket()
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
    fn bucket(self) -> usize {
        (order_key(self) >> (32 - BUCKET_BITS)) as usize
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
/// position, so they combine in the same order whichever thread made them),
/// the extremes, and the radix bucket counts.
#[derive(Debug)]
pub(crate) struct Tally {
    blocks: Vec<(usize, BlockMoments)>,
    /// Taken only when the tally is dropped (see [`Tally::counts`]).
    buckets: Option<Box<[u32; BUCKETS]>>,
    min: f64,
    max: f64,
    /// Samples exactly 0: years without a loss event, common in aggregate
    /// mode. When 0 is the minimum they are the lowest ranks, known without
    /// gathering their bucket (which would be a large share of the sample).
    zeros: usize,
}

/// Bits of a radix bucket (see [`Sample::bucket`]): fine enough that the
/// buckets holding the wanted ranks stay small (a few hundred samples of a
/// hundred thousand), coarse enough that the table is walked in microseconds.
const BUCKET_BITS: u32 = 16;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// A fixed-size table, so indexing by a bucket needs no bounds check.
fn table<T: Copy>(value: T) -> Box<[T; BUCKETS]> {
    vec![value; BUCKETS].into_boxed_slice().try_into().unwrap_or_else(|_| unreachable!("BUCKETS long"))
}

/// Zeroed bucket tables of finished tallies, for the next ones: a table is
/// 256 KiB, which the allocator would map, fault in and unmap again for
/// every scenario of a portfolio.
static SPARE_TABLES: std::sync::Mutex<Vec<Box<[u32; BUCKETS]>>> = std::sync::Mutex::new(Vec::new());
/// Enough for every thread's tally and the merged one.
const SPARE_TABLES_KEPT: usize = 8;

impl Tally {
    pub(crate) fn new() -> Tally {
        let spare = SPARE_TABLES.lock().ok().and_then(|mut spare| spare.pop());
        Tally {
            blocks: Vec::new(),
            buckets: Some(spare.unwrap_or_else(|| table(0))),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            zeros: 0,
        }
    }

    /// Samples per bucket.
    fn counts(&self) -> &[u32; BUCKETS] {
        self.buckets.as_deref().expect("a tally keeps its table until dropped")
    }

    fn counts_mut(&mut self) -> &mut [u32; BUCKETS] {
        self.buckets.as_deref_mut().expect("a tally keeps its table until dropped")
    }

    /// The buckets that may be counted: those from the minimum's to the maximum's.
    fn occupied(&self) -> std::ops::Range<usize> {
        if self.min <= self.max { self.min.bucket()..self.max.bucket() + 1 } else { 0..0 }
    }

    /// Counts one block (the block at `position` of the whole sample).
    /// Inlined, so it is compiled for the instruction set of its caller.
    #[inline(always)]
    pub(crate) fn add_block<S: Sample>(&mut self, position: usize, block: &[S]) {
        let Some(first) = block.first() else { return };
        let shift = first.value();
        // Four running sums each: one would wait on the previous addition.
        let (mut sum, mut squares) = ([0.0f64; 4], [0.0f64; 4]);
        let (mut low, mut high) = ([shift; 4], [shift; 4]);
        let mut zeros = [0usize; 4];
        let buckets = self.counts_mut();
        let mut quads = block.chunks_exact(4);
        for q in &mut quads {
            for lane in 0..4 {
                let x = q[lane].value();
                let d = x - shift;
                sum[lane] += d;
                squares[lane] += d * d;
                // Comparisons rather than f64::min/max, whose NaN rules cost
                // three instructions (losses are never NaN).
                low[lane] = if x < low[lane] { x } else { low[lane] };
                high[lane] = if x > high[lane] { x } else { high[lane] };
                zeros[lane] += usize::from(x == 0.0);
                buckets[q[lane].bucket()] += 1;
            }
        }
        for &x in quads.remainder() {
            let d = x.value() - shift;
            sum[0] += d;
            squares[0] += d * d;
            low[0] = low[0].min(x.value());
            high[0] = high[0].max(x.value());
            zeros[0] += usize::from(x.value() == 0.0);
            buckets[x.bucket()] += 1;
        }
        self.min = low.into_iter().fold(self.min, f64::min);
        self.max = high.into_iter().fold(self.max, f64::max);
        self.zeros += zeros.iter().sum::<usize>();
        let n = block.len() as f64;
        let (sum, squares) =
            ((sum[0] + sum[1]) + (sum[2] + sum[3]), (squares[0] + squares[1]) + (squares[2] + squares[3]));
        self.blocks.push((position, BlockMoments { n, mean: shift + sum / n, m2: (squares - sum * sum / n).max(0.0) }));
    }

    /// Adds another part's tally.
    pub(crate) fn merge(&mut self, mut other: Tally) {
        self.blocks.append(&mut other.blocks);
        let occupied = other.occupied();
        let theirs = &other.counts()[occupied.clone()];
        self.counts_mut()[occupied].iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.zeros += other.zeros;
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

impl Drop for Tally {
    /// Hands the table back zeroed (only the occupied part needs it).
    fn drop(&mut self) {
        let occupied = self.occupied();
        if let Some(mut table) = self.buckets.take()
            && let Ok(mut spare) = SPARE_TABLES.lock()
            && spare.len() < SPARE_TABLES_KEPT
        {
            table[occupied].fill(0);
            spare.push(table);
        }
    }
}

#[inline(always)]
fn tally_part_impl<S: Sample>(tally: &mut Tally, start: usize, part: &[S]) {
    for (i, block) in part.chunks(SUM_BLOCK).enumerate() {
        tally.add_block(start + i * SUM_BLOCK, block);
    }
}

multiversion!(fn tally_part<S: Sample>(tally: &mut Tally, start: usize, part: &[S]) = tally_part_impl);

/// Summarises `samples`, each pass split over `threads` threads. The result
/// is the same whatever the thread count.
pub fn summarize_on<S: Sample>(samples: &[S], percentiles: &[f64], threads: usize) -> Summary {
    let parts = on_parts(samples, threads, |start, part| {
        let mut tally = Tally::new();
        tally_part(&mut tally, start, part);
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
///
/// The bucket counts of the first pass say, before looking at a sample
/// again, which radix buckets hold the wanted ranks and the histogram's
/// edges. The second and last pass gathers the samples of those buckets;
/// each rank is then selected inside its bucket, and each edge's count is
/// the samples of lower buckets plus those of its own bucket up to the edge.
/// Two linear passes in all, instead of a sort, a selection over the whole
/// sample per rank, or a histogram bin computed per sample.
pub(crate) fn summarize_tallied<S: Sample>(
    samples: &[S],
    mut tally: Tally,
    percentiles: &[f64],
    threads: usize,
) -> Summary {
    let n = samples.len();
    let nf = n as f64;
    let (mean, stdev) = tally.moments();
    let (min, max) = (tally.min, tally.max);
    let buckets = tally.counts();

    // The order statistics each percentile interpolates between.
    let positions: Vec<f64> = percentiles.iter().map(|p| p / 100.0 * (nf - 1.0)).collect();
    let mut ranks: Vec<usize> =
        positions.iter().flat_map(|pos| [pos.floor() as usize, (pos.floor() as usize + 1).min(n - 1)]).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let mut walk = Walk::new(buckets);
    let located: Vec<(usize, usize)> = ranks.iter().map(|&rank| walk.up_to_rank(rank)).collect();
    // Ranks answered without gathering: zeros below everything else.
    let zero_ranks = if min == 0.0 { tally.zeros } else { 0 };
    // Heavy tails would squeeze every bin but one into the first few: bins
    // span [min, the end of the bucket holding p99.9] evenly (known from the
    // counts alone), and the last one also holds the rest of the tail.
    let tail_rank = ((RANGE_PERCENTILE / 100.0 * (nf - 1.0)).floor() as usize + 1).min(n - 1);
    let (tail_bucket, _) = Walk::new(buckets).up_to_rank(tail_rank);
    let upper = if tail_bucket + 1 < BUCKETS { bucket_start(tail_bucket + 1) } else { f64::INFINITY };
    let upper = upper.min(max);
    let width = if upper > min { (upper - min) / BINS as f64 } else { 1.0 };
    // The inner edges between bins, each with its bucket and the samples below that bucket.
    let edges: Vec<f64> = (1..BINS).map(|i| min + i as f64 * width).collect();
    let edge_buckets: Vec<usize> = edges.iter().map(|e| e.bucket()).collect();
    let mut walk = Walk::new(buckets);
    let below_edges: Vec<usize> = edge_buckets.iter().map(|&bucket| walk.up_to_bucket(bucket)).collect();

    // Dense bucket → slot map: the pass is a lookup per sample. At most 200
    // ranks (100 percentiles) and 49 edges fit the u8 slots below NONE.
    let mut slot_of = table(NONE);
    let mut sizes = Vec::new();
    let gathered_ranks = ranks.iter().zip(&located).filter(|(rank, _)| **rank >= zero_ranks);
    for &bucket in gathered_ranks.map(|(_, (bucket, _))| bucket).chain(&edge_buckets) {
        if slot_of[bucket] == NONE {
            slot_of[bucket] = sizes.len() as u8;
            sizes.push(buckets[bucket] as usize);
        }
    }
    let pass = Gather { slot_of: &slot_of, sizes: &sizes };
    let mut gathered: Vec<Vec<S>> = sizes.iter().map(|&size| Vec::with_capacity(size)).collect();
    for found in on_parts(samples, threads, |_, part| gather(&pass, part)) {
        gathered.iter_mut().enumerate().for_each(|(slot, all)| all.extend_from_slice(found.slot(slot)));
    }

    // Samples at or below each inner edge, then per bin; the edges come
    // before the selections, which reorder the buckets they work in.
    let at_or_below: Vec<u64> = edges
        .iter()
        .zip(edge_buckets.iter().zip(&below_edges))
        .map(|(&edge, (&bucket, &below))| {
            let within = gathered[slot_of[bucket] as usize].iter().filter(|x| x.value() <= edge).count();
            (below + within) as u64
        })
        .collect();
    let mut counts = Vec::with_capacity(BINS);
    let mut previous = 0;
    for &cumulative in at_or_below.iter().chain([n as u64].iter()) {
        counts.push(cumulative - previous);
        previous = cumulative;
    }
    // Each rank by selection inside its bucket (no full sort).
    let order: BTreeMap<usize, f64> = ranks
        .iter()
        .zip(&located)
        .map(|(&rank, &(bucket, below))| {
            if rank < zero_ranks {
                return (rank, 0.0);
            }
            let list = &mut gathered[slot_of[bucket] as usize];
            let (_, value, _) = list.select_nth_unstable_by(rank - below, S::total_cmp);
            (rank, value.value())
        })
        .collect();
    let interpolated = |position: f64| {
        let k = position.floor() as usize;
        let (lower, upper) = (order[&k], order[&(k + 1).min(n - 1)]);
        lower + (position - k as f64) * (upper - lower)
    };
    let found: BTreeMap<String, f64> =
        percentiles.iter().zip(&positions).map(|(p, pos)| (percentile_key(*p), interpolated(*pos))).collect();
    // Bin i holds (from, to], the first also its lower edge, the minimum.
    let histogram: Vec<Bin> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| Bin {
            from: if i == 0 { min } else { edges[i - 1] },
            to: if i == BINS - 1 { max } else { edges[i] },
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

/// Not a slot: the sample's bucket holds nothing wanted.
const NONE: u8 = u8::MAX;

/// Buckets summed at once by a [`Walk`].
const STRIDE: usize = 64;

/// A walk up the bucket table from its lowest bucket, keeping count of the
/// samples below where it stands; it sums 64 buckets at once where it can
/// (most of the table is empty, or below the next wanted place).
struct Walk<'a> {
    buckets: &'a [u32; BUCKETS],
    bucket: usize,
    below: usize,
}

impl<'a> Walk<'a> {
    fn new(buckets: &'a [u32; BUCKETS]) -> Walk<'a> {
        Walk { buckets, bucket: 0, below: 0 }
    }

    /// Moves on while `fits(end, below)` holds for the buckets up to `end`
    /// (exclusive) with `below` samples beneath that end.
    fn advance(&mut self, fits: impl Fn(usize, usize) -> bool) {
        loop {
            if self.bucket.is_multiple_of(STRIDE) && self.bucket + STRIDE <= BUCKETS {
                let stride: usize = self.buckets[self.bucket..self.bucket + STRIDE].iter().map(|&c| c as usize).sum();
                if fits(self.bucket + STRIDE, self.below + stride) {
                    self.below += stride;
                    self.bucket += STRIDE;
                    continue;
                }
            }
            if self.bucket == BUCKETS {
                return;
            }
            let count = self.buckets[self.bucket] as usize;
            if !fits(self.bucket + 1, self.below + count) {
                return;
            }
            self.below += count;
            self.bucket += 1;
        }
    }

    /// The bucket holding `rank` (0: the smallest), and the samples in lower
    /// buckets. Ranks are asked in ascending order.
    fn up_to_rank(&mut self, rank: usize) -> (usize, usize) {
        self.advance(|_, below| below <= rank);
        (self.bucket, self.below)
    }

    /// The samples in buckets below `target`. Targets are asked in ascending order.
    fn up_to_bucket(&mut self, target: usize) -> usize {
        self.advance(|end, _| end <= target);
        self.below
    }
}

/// What the second pass needs to know.
struct Gather<'a> {
    slot_of: &'a [u8; BUCKETS],
    /// Samples in each slot's bucket, over the whole sample: room enough for any part.
    sizes: &'a [usize],
}

/// One part's samples in the wanted buckets: one array with each slot's room
/// in turn, and where each slot's samples end.
struct Found<S> {
    flat: Vec<S>,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl<S: Sample> Found<S> {
    fn slot(&self, slot: usize) -> &[S] {
        &self.flat[self.starts[slot]..self.ends[slot]]
    }
}

#[inline(always)]
fn gather_impl<S: Sample>(pass: &Gather, part: &[S]) -> Found<S> {
    let Gather { slot_of, sizes } = *pass;
    let mut starts = Vec::with_capacity(sizes.len());
    let mut end = 0;
    for size in sizes {
        starts.push(end);
        end += size;
    }
    let Some(&first) = part.first() else { return Found { flat: Vec::new(), ends: starts.clone(), starts } };
    let mut flat = vec![first; end];
    // A cursor per slot. A branch per sample, but a well-predicted one: the
    // wanted buckets hold a few percent of the samples. (Writing every
    // sample, the unwanted onto a spare place, chains each store to the last
    // through that cursor.)
    let mut cursor = starts.clone();
    let mut keep = |x: S, bucket: usize| {
        let slot = slot_of[bucket];
        if slot != NONE {
            let at = &mut cursor[usize::from(slot)];
            flat[*at] = x;
            *at += 1;
        }
    };
    // Buckets eight at a time first: that part is vector code.
    let mut eights = part.chunks_exact(8);
    for eight in &mut eights {
        let buckets: [usize; 8] = std::array::from_fn(|i| eight[i].bucket());
        for (&x, bucket) in eight.iter().zip(buckets) {
            keep(x, bucket);
        }
    }
    for &x in eights.remainder() {
        keep(x, x.bucket());
    }
    Found { flat, starts, ends: cursor }
}

multiversion!(fn gather<S: Sample>(pass: &Gather, part: &[S]) -> Found<S> = gather_impl);

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
