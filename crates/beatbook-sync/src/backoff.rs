//! Exponential backoff with jitter for retrying failed syncs: 2 s, 4 s, 8 s … up to 5 min,
//! each randomised to 50–100 % so a county's handsets do not retry in lockstep.

use std::time::Duration;

/// Retry delays for one failing connection.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    /// 2 s doubling to at most 5 minutes; `seed` varies the jitter per device.
    pub fn new(seed: u64) -> Self {
        Self::with_limits(Duration::from_secs(2), Duration::from_secs(300), seed)
    }

    /// Custom limits.
    pub fn with_limits(base: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
            seed,
        }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        self.seed = self
            .seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let jitter = 0.5 + ((self.seed >> 33) as f64 / (1u64 << 31) as f64) * 0.5;
        exp.mul_f64(jitter)
    }

    /// After a success, start again from the base delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_jitter_caps_and_resets() {
        let mut b = Backoff::new(42);
        let delays: Vec<_> = (0..12).map(|_| b.next_delay()).collect();
        for (i, d) in delays.iter().enumerate() {
            let full = Duration::from_secs(2 << i).min(Duration::from_secs(300));
            assert!(
                *d >= full / 2 && *d <= full,
                "attempt {i}: {d:?} vs {full:?}"
            );
        }
        assert!(delays[11] <= Duration::from_secs(300));
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(2));
    }
}
