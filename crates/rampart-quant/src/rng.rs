//! The random streams: xoshiro256++ seeded through SplitMix64.
//!
//! Every chunk of iterations of every scenario gets its own stream, derived
//! from (seed, scenario, chunk). Results therefore do not depend on how many
//! threads share the chunks.

use crate::cpu::multiversion;

/// SplitMix64: turns any 64-bit value into a well-mixed one (used for seeding).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Independent xoshiro256++ generators interleaved in one stream.
///
/// Output k comes from lane k mod LANES. The lanes have no data dependency
/// on each other, so bulk draws ([`Stream::fill_u32`]) advance all of them in
/// one step of vector instructions, where a single generator is a serial
/// chain of dependent operations: eight 64-bit lanes are two AVX2 registers
/// per state word, two independent chains the processor overlaps.
pub const LANES: usize = 8;

/// `state[word][lane]`: the four state words of every lane.
type State = [[u64; LANES]; 4];

/// A stream of random numbers: [`LANES`] xoshiro256++ generators (Blackman and
/// Vigna: fast, 256 bits of state each, passes BigCrush), read round robin.
#[derive(Debug, Clone)]
pub struct Stream {
    /// `s[word][lane]`: the four state words, lane by lane.
    s: State,
    /// The last step's outputs, handed out one at a time by `next_u64`.
    buffered: [u64; LANES],
    /// Next unread index into `buffered` (LANES: empty).
    next: usize,
}

impl Stream {
    /// The stream for one chunk of one scenario under a model seed.
    pub fn new(seed: u64, scenario: u64, chunk: u64) -> Stream {
        let mut state = seed ^ splitmix64(&mut scenario.wrapping_mul(0xD1B5_4A32_D192_ED03).wrapping_add(chunk));
        let mut s = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            for word in s.iter_mut() {
                word[lane] = splitmix64(&mut state);
            }
        }
        Stream { s, buffered: [0; LANES], next: LANES }
    }

    /// Advances every lane of `s` once, returning their outputs.
    #[inline(always)]
    fn step_state(s: &mut State) -> [u64; LANES] {
        let [s0, s1, s2, s3] = s;
        let mut out = [0u64; LANES];
        for l in 0..LANES {
            out[l] = (s0[l].wrapping_add(s3[l])).rotate_left(23).wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
        }
        out
    }

    #[inline(always)]
    fn step(&mut self) -> [u64; LANES] {
        Self::step_state(&mut self.s)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        if self.next == LANES {
            self.buffered = self.step();
            self.next = 0;
        }
        let x = self.buffered[self.next];
        self.next += 1;
        x
    }

    /// Fills `out` with 32-bit numbers: each of the next `out.len().div_ceil(2)`
    /// outputs gives two, its low half then its high half (an odd length
    /// leaves the last high half unused): the outputs' own memory layout, so
    /// a step is stored as it is. Whole steps go straight from the
    /// state to `out`, so the loop is vector code.
    #[inline(always)]
    pub fn fill_u32(&mut self, out: &mut [u32]) {
        let mut out = out;
        // Outputs left over from an earlier single draw come first, in order.
        while self.next < LANES && !out.is_empty() {
            let x = self.next_u64();
            out = put_halves(out, x);
        }
        let whole = out.len() / (2 * LANES) * (2 * LANES);
        let (steps, rest) = out.split_at_mut(whole);
        fill_steps(&mut self.s, steps);
        let mut rest = rest;
        while !rest.is_empty() {
            let x = self.next_u64();
            rest = put_halves(rest, x);
        }
    }

    /// Uniform in the open interval (0, 1): never exactly 0 or 1, so inverse
    /// distribution functions never see their infinite ends.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        to_uniform(self.next_u64())
    }
}

/// Advances every lane `out.len() / (2 × LANES)` times, each step's outputs
/// stored as their halves (low, then high).
#[inline(always)]
fn steps_portable(state: &mut State, out: &mut [u32]) {
    // The state in locals for the loop, so it can live in registers.
    let mut s = *state;
    for chunk in out.chunks_exact_mut(2 * LANES) {
        let step = Stream::step_state(&mut s);
        for (pair, x) in chunk.chunks_exact_mut(2).zip(step) {
            pair[0] = x as u32;
            pair[1] = (x >> 32) as u32;
        }
    }
    *state = s;
}

/// [`steps_portable`] in AVX2 instructions: the compiler leaves the rotations
/// scalar otherwise. Lanes 0–3 and 4–7 are two registers per state word.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn steps_avx2(state: &mut State, out: &mut [u32]) {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_extract_epi64, _mm256_or_si256, _mm256_set_epi64x, _mm256_slli_epi64,
        _mm256_srli_epi64, _mm256_xor_si256,
    };
    /// Four lanes from `word`, starting at `first`.
    #[target_feature(enable = "avx2")]
    fn load(word: &[u64; LANES], first: usize) -> __m256i {
        let w = |i: usize| word[first + i] as i64;
        _mm256_set_epi64x(w(3), w(2), w(1), w(0))
    }
    #[target_feature(enable = "avx2")]
    fn lanes(v: __m256i) -> [u64; 4] {
        [
            _mm256_extract_epi64::<0>(v) as u64,
            _mm256_extract_epi64::<1>(v) as u64,
            _mm256_extract_epi64::<2>(v) as u64,
            _mm256_extract_epi64::<3>(v) as u64,
        ]
    }
    #[target_feature(enable = "avx2")]
    fn rotate_left<const L: i32, const R: i32>(x: __m256i) -> __m256i {
        _mm256_or_si256(_mm256_slli_epi64::<L>(x), _mm256_srli_epi64::<R>(x))
    }
    /// One xoshiro256++ step of four lanes (as in [`Stream::step_state`]).
    #[target_feature(enable = "avx2")]
    fn step(s: &mut [__m256i; 4]) -> __m256i {
        let [s0, s1, s2, s3] = *s;
        let out = _mm256_add_epi64(rotate_left::<23, 41>(_mm256_add_epi64(s0, s3)), s0);
        let t = _mm256_slli_epi64::<17>(s1);
        let s2 = _mm256_xor_si256(s2, s0);
        let s3 = _mm256_xor_si256(s3, s1);
        let s1 = _mm256_xor_si256(s1, s2);
        let s0 = _mm256_xor_si256(s0, s3);
        *s = [s0, s1, _mm256_xor_si256(s2, t), rotate_left::<45, 19>(s3)];
        out
    }
    let mut low = state.map(|word| load(&word, 0));
    let mut high = state.map(|word| load(&word, 4));
    for chunk in out.chunks_exact_mut(2 * LANES) {
        let outputs = [lanes(step(&mut low)), lanes(step(&mut high))];
        for (pair, x) in chunk.chunks_exact_mut(2).zip(outputs.into_iter().flatten()) {
            pair[0] = x as u32;
            pair[1] = (x >> 32) as u32;
        }
    }
    for (word, (l, h)) in state.iter_mut().zip(low.into_iter().zip(high)) {
        word[..4].copy_from_slice(&lanes(l));
        word[4..].copy_from_slice(&lanes(h));
    }
}

multiversion!(fn fill_steps(state: &mut State, out: &mut [u32]) = steps_portable, avx2 = steps_avx2);

/// Writes `x`'s low half, then its high half if there is room, into the front
/// of `out`; returns the rest.
#[inline(always)]
fn put_halves(out: &mut [u32], x: u64) -> &mut [u32] {
    let taken = out.len().min(2);
    let (front, rest) = out.split_at_mut(taken);
    front[0] = x as u32;
    if let [_, high] = front {
        *high = (x >> 32) as u32;
    }
    rest
}

/// 64 random bits as a uniform in the open interval (0, 1).
#[inline(always)]
pub fn to_uniform(x: u64) -> f64 {
    ((x >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Stream::new(7, 0, 0).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Stream::new(7, 0, 0).next_u64(), Stream::new(7, 0, 1).next_u64());
        assert_ne!(Stream::new(7, 0, 0).next_u64(), Stream::new(7, 1, 0).next_u64());
        assert_ne!(Stream::new(7, 0, 0).next_u64(), Stream::new(8, 0, 0).next_u64());
    }

    #[test]
    fn bulk_and_single_draws_give_the_same_sequence() {
        let mut one = Stream::new(3, 1, 4);
        let singles: Vec<u32> = (0..100).map(|_| one.next_u64()).flat_map(|x| [x as u32, (x >> 32) as u32]).collect();
        let mut bulk = Stream::new(3, 1, 4);
        let first = bulk.next_u64();
        let mut got = vec![first as u32, (first >> 32) as u32];
        // Lengths that start and end inside a step, an odd one, whose last
        // output's high half is dropped, and one of several whole steps.
        let mut rest = vec![0u32; 198];
        bulk.fill_u32(&mut rest[..6]);
        bulk.fill_u32(&mut rest[6..25]);
        rest[25] = singles[2 + 25];
        bulk.fill_u32(&mut rest[26..]);
        got.extend(rest);
        assert_eq!(got, singles);
    }

    #[test]
    fn uniforms_stay_inside_the_open_interval_with_the_right_mean() {
        let mut s = Stream::new(1, 2, 3);
        let n = 200_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = s.uniform();
            assert!(u > 0.0 && u < 1.0);
            sum += u;
        }
        assert!((sum / n as f64 - 0.5).abs() < 0.005);
    }
}
