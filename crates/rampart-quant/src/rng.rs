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

/// xoshiro256++ (Blackman and Vigna): fast, 256 bits of state, passes BigCrush.
#[derive(Debug, Clone)]
pub struct Stream {
    s: [u64; 4],
}

impl Stream {
    /// The stream for one chunk of one scenario under a model seed.
    pub fn new(seed: u64, scenario: u64, chunk: u64) -> Stream {
        let mut state = seed ^ splitmix64(&mut scenario.wrapping_mul(0xD1B5_4A32_D192_ED03).wrapping_add(chunk));
        let s = [splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state), splitmix64(&mut state)];
        Stream { s }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = (self.s[0].wrapping_add(self.s[3])).rotate_left(23).wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in the open interval (0, 1): never exactly 0 or 1, so inverse
    /// distribution functions never see their infinite ends.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }
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
