//! Login rate limiting: too many failed logins for one username, or from one client address,
//! within a window block further attempts (even with the right password) until the oldest
//! failure leaves the window. Kept in memory: a restart forgets, which only helps the
//! legitimate user. Time comes from the injected clock.

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// Failures per username that block it.
pub(crate) const MAX_USER_FAILURES: usize = 5;
/// Failures per client address that block it.
pub(crate) const MAX_IP_FAILURES: usize = 20;
/// How long a failure counts.
pub(crate) fn window() -> Duration {
    Duration::minutes(5)
}

/// Above this many tracked keys, stale ones are swept on the next failure.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

/// Failed login attempts by username and by client address.
#[derive(Debug, Default)]
pub(crate) struct LoginLimiter {
    failures: Mutex<HashMap<Key, VecDeque<DateTime<Utc>>>>,
}

impl LoginLimiter {
    /// `Err(seconds to wait)` if the username or the address is blocked at `now`.
    pub(crate) fn check(
        &self,
        username: &str,
        ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<(), u64> {
        let mut map = self.lock();
        let mut wait = 0i64;
        let mut keys = vec![(Key::User(username.to_owned()), MAX_USER_FAILURES)];
        if let Some(ip) = ip {
            keys.push((Key::Ip(ip), MAX_IP_FAILURES));
        }
        for (key, max) in keys {
            if let Some(times) = map.get_mut(&key) {
                prune(times, now);
                if times.len() >= max {
                    // Blocked until enough failures have aged out to fall below the limit.
                    let free_at = times[times.len() - max] + window();
                    wait = wait.max((free_at - now).num_milliseconds());
                }
            }
        }
        if wait > 0 {
            Err(((wait + 999) / 1000).max(1) as u64)
        } else {
            Ok(())
        }
    }

    /// Counts a failed attempt.
    pub(crate) fn failed(&self, username: &str, ip: Option<IpAddr>, now: DateTime<Utc>) {
        let mut map = self.lock();
        if map.len() > SWEEP_AT {
            map.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        let mut keys = vec![Key::User(username.to_owned())];
        keys.extend(ip.map(Key::Ip));
        for key in keys {
            let times = map.entry(key).or_default();
            prune(times, now);
            times.push_back(now);
        }
    }

    /// A successful login clears the username's failures (not the address's).
    pub(crate) fn succeeded(&self, username: &str) {
        self.lock().remove(&Key::User(username.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<DateTime<Utc>>>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn prune(times: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) {
    while times.front().is_some_and(|t| *t + window() <= now) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_five_failures_until_the_window_passes() {
        let l = LoginLimiter::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ip: Option<IpAddr> = Some([10, 0, 0, 1].into());
        for i in 0..5 {
            assert_eq!(l.check("wang", ip, t0), Ok(()));
            l.failed("wang", ip, t0 + Duration::seconds(i));
        }
        let now = t0 + Duration::seconds(10);
        assert_eq!(l.check("wang", ip, now), Err(290));
        assert_eq!(
            l.check("li", None, now),
            Ok(()),
            "other users are not blocked"
        );
        assert_eq!(l.check("wang", ip, t0 + window()), Ok(()));
        l.succeeded("wang");
        assert_eq!(l.check("wang", ip, now), Ok(()));
    }

    #[test]
    fn blocks_an_address_after_twenty_failures() {
        let l = LoginLimiter::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ip: Option<IpAddr> = Some([10, 0, 0, 2].into());
        for i in 0..20 {
            l.failed(&format!("user{i}"), ip, t0);
        }
        assert!(l.check("someone", ip, t0).is_err());
        assert!(l.check("someone", Some([10, 0, 0, 3].into()), t0).is_ok());
    }
}
