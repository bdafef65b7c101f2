//! Periods in Asia/Shanghai: a range of calendar days as people name it ("11月1日至11月30日"),
//! and the UTC instants it covers.

use crate::error::{Result, StationError};
use beatbook_model::SHANGHAI;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Calendar days `from..=to` in Asia/Shanghai.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

/// Half-open UTC interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First instant.
    pub start: DateTime<Utc>,
    /// First instant after the period.
    pub end: DateTime<Utc>,
}

/// Midnight starting `day` in Asia/Shanghai, as UTC.
pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // UTC+8 is a fixed offset: every local time maps to exactly one instant.
    SHANGHAI
        .from_local_datetime(&naive)
        .single()
        .map_or_else(|| naive.and_utc(), |t| t.to_utc())
}

/// The Asia/Shanghai calendar day of an instant.
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&SHANGHAI).date_naive()
}

impl DateRange {
    /// The days `from..=to`; refused when `to` precedes `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<DateRange> {
        if to < from {
            return Err(StationError::BadPeriod);
        }
        Ok(DateRange { from, to })
    }

    /// The instants the days cover.
    pub fn period(&self) -> Period {
        Period {
            start: local_midnight(self.from),
            end: local_midnight(self.to) + Duration::days(1),
        }
    }
}

impl Period {
    /// Whether `t` lies in the period.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// The last second of the period: what a task due "by the end of the period" carries.
    pub fn last_second(&self) -> DateTime<Utc> {
        self.end - Duration::seconds(1)
    }
}

/// The week (Monday to Sunday, Asia/Shanghai) holding `t`.
pub fn week_of(t: DateTime<Utc>) -> DateRange {
    use chrono::Datelike;
    let day = local_day(t);
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    DateRange {
        from: monday,
        to: monday + Duration::days(6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_in_shanghai_starts_at_1600_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let p = DateRange::new(d, d).unwrap().period();
        assert_eq!(
            p.start,
            Utc.with_ymd_and_hms(2026, 11, 1, 16, 0, 0).unwrap()
        );
        assert_eq!(p.end, Utc.with_ymd_and_hms(2026, 11, 2, 16, 0, 0).unwrap());
        assert!(DateRange::new(d, d.pred_opt().unwrap()).is_err());
        // Sunday 23:30 local is still the week that began on Monday 2026-11-02.
        let sunday_night = Utc.with_ymd_and_hms(2026, 11, 8, 15, 30, 0).unwrap();
        assert_eq!(week_of(sunday_night).from, d);
    }
}
