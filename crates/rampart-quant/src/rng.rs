//! The random streams: xoshiro256++ seeded through SplitMix64.
//!
//! Every chunk of iterations of every scenario gets its own stream, derived
//! from (seed, scenario, chunk). Results therefore do not depend on how many
//! threads share the chunks.

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
/// on each other, so bulk draws ([`Stream::fill_u64`]) advance all of them in
/// one step the compiler turns into vector instructions, where a single
/// generator is a serial chain of dependent operations.
pub const LANES: usize = 2;

/// A stream of random numbers: [`LANES`] xoshiro256++ generators (Blackman and
/// Vigna: fast, 256 bits of state each, passes BigCrush), read round robin.
#[derive(Debug, Clone)]
pub struct Stream {
    /// `s[word][lane]`: the four state words, lane by lane.
    s: [[u64; LANES]; 4],
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
    fn step_state(s: &mut [[u64; LANES]; 4]) -> [u64; LANES] {
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

    /// Fills `out` with the next `out.len()` outputs: exactly what as many
    /// calls of `next_u64` would give, computed a whole step at a time.
    pub fn fill_u64(&mut self, out: &mut [u64]) {
        let leftover = (LANES - self.next).min(out.len());
        let (head, rest) = out.split_at_mut(leftover);
        for x in head {
            *x = self.next_u64();
        }
        // The state in locals for the loop, so it can live in registers.
        let mut state = self.s;
        let mut steps = rest.chunks_exact_mut(LANES);
        for chunk in &mut steps {
            chunk.copy_from_slice(&Self::step_state(&mut state));
        }
        self.s = state;
        for x in steps.into_remainder() {
            *x = self.next_u64();
        }
    }

    /// Uniform in the open interval (0, 1): never exactly 0 or 1, so inverse
    /// distribution functions never see their infinite ends.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        to_uniform(self.next_u64())
    }
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
        let singles: Vec<u64> = (0..23).map(|_| one.next_u64()).collect();
        let mut bulk = Stream::new(3, 1, 4);
        let mut got = vec![bulk.next_u64()];
        let mut rest = vec![0u64; 22];
        bulk.fill_u64(&mut rest[..9]);
        bulk.fill_u64(&mut rest[9..]);
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
