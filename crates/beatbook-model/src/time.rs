//! Time: records store UTC; people read Asia/Shanghai. The clock is injected so rules and tests
//! never read the wall clock behind the caller's back.

use chrono::{DateTime, FixedOffset, Utc};

/// Asia/Shanghai. China has kept UTC+8 without daylight saving since 1991, so a fixed offset is
/// exact for every date this application handles.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(tz) => tz,
    None => panic!("UTC+8 is a valid offset"),
};

/// Where the current time comes from.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that always says the same instant (tests, simulations).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Formats an instant for people: `2026-11-28 15:04` in Asia/Shanghai.
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shows_shanghai_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 17, 30, 0).unwrap();
        assert_eq!(format_local(t), "2026-11-29 01:30");
    }
}
