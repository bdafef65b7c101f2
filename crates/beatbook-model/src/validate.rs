//! Field validators: resident ID numbers (GB 11643-1999), mainland mobile numbers, required text,
//! plausible times. A [`Checker`] gathers every problem of a record so a form can show them all.

use crate::error::{FieldError, ModelError, Problem};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// Weights of the 17 leading digits in the MOD 11-2 check (GB 11643-1999).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum modulo 11.
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level region codes (the first two digits).
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];
/// How far ahead of the device clock a recorded time may lie (clock drift, time zones).
pub const FUTURE_SLACK: Duration = Duration::hours(24);
/// The earliest year any recorded time may name: nothing this application records happened
/// before it, and every year from here to [`latest_time`] is written with four digits, so it
/// sorts as text and reads back in every form the store and the wire use.
pub const EARLIEST_YEAR: i32 = 1900;
/// How far ahead of now a due date may lie.
pub const DUE_HORIZON: Duration = Duration::days(5 * 366);

/// The earliest instant a record may name: 1900-01-01 00:00 UTC.
pub fn earliest_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(EARLIEST_YEAR, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The latest instant a record may name when judged at `now`: a due date's horizon, which
/// is beyond every "happened" bound.
pub fn latest_time(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_add_signed(DUE_HORIZON)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether `t` lies in the range any record time may take when judged at `now`.
pub fn time_in_range(t: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    t >= earliest_time() && t <= latest_time(now)
}

/// Normalises an ID number as typed: trims spaces and upper-cases a final x.
pub fn normalize_id_number(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// The check character the first 17 digits of an ID number call for.
pub fn id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(ID_CHECK[(sum % 11) as usize])
}

/// Checks an 18-character resident ID number: shape, region, a real past birth date and the
/// MOD 11-2 check character. `today` bounds the birth date.
pub fn check_id_number(raw: &str, today: NaiveDate) -> Result<(), Problem> {
    let id = normalize_id_number(raw);
    let bytes = id.as_bytes();
    let shape_ok = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
    if !shape_ok {
        return Err(Problem::IdNumberFormat);
    }
    let province: u32 = id[..2].parse().map_err(|_| Problem::IdNumberFormat)?;
    if !PROVINCES.contains(&province) {
        return Err(Problem::IdNumberRegion);
    }
    let birth = id_birth_date(&id).ok_or(Problem::IdNumberBirthDate)?;
    if birth > today {
        return Err(Problem::IdNumberBirthFuture);
    }
    let expected = id_check_char(&id[..17]).ok_or(Problem::IdNumberFormat)?;
    if char::from(bytes[17]) != expected {
        return Err(Problem::IdNumberChecksum { expected });
    }
    Ok(())
}

/// The birth date an ID number carries (characters 7–14), if it is a date that exists.
pub fn id_birth_date(id: &str) -> Option<NaiveDate> {
    let digits = id.get(6..14)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// The oldest age an ID number's birth date plausibly gives; past it the number is kept but
/// the person is asked to check it ([`id_number_age_warning`]).
pub const PLAUSIBLE_MAX_AGE: i32 = 120;

/// A warning, never a refusal, for an otherwise valid ID number whose birth date makes its
/// holder older than [`PLAUSIBLE_MAX_AGE`] at `today` — such numbers exist (the standard's own
/// example was born in 1880), but a typing slip is likelier. Returns the age in years.
pub fn id_number_age_warning(raw: &str, today: NaiveDate) -> Option<i32> {
    let id = normalize_id_number(raw);
    check_id_number(&id, today).ok()?;
    let birth = id_birth_date(&id)?;
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    (age > PLAUSIBLE_MAX_AGE).then_some(age)
}

/// Normalises a phone number as typed: drops spaces, dashes and a leading +86 / 0086.
pub fn normalize_phone(s: &str) -> String {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits);
    digits.to_owned()
}

/// Checks a mainland mobile number: 11 digits, `1` then `3`–`9`.
pub fn check_mobile(raw: &str) -> Result<(), Problem> {
    let n = normalize_phone(raw);
    let b = n.as_bytes();
    if b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
    {
        Ok(())
    } else {
        Err(Problem::Phone)
    }
}

/// Gathers the problems of one record, field by field.
#[derive(Debug)]
pub struct Checker {
    now: DateTime<Utc>,
    errors: Vec<FieldError>,
}

impl Checker {
    /// A checker that judges times against `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Checker {
            now,
            errors: Vec::new(),
        }
    }

    /// The instant times are judged against.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Records a problem with `field`.
    pub fn fail(&mut self, field: impl Into<String>, problem: Problem) {
        self.errors.push(FieldError::new(field, problem));
    }

    /// Text that must be present and at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, required: bool, max: usize) {
        if required && value.trim().is_empty() {
            self.fail(field, Problem::Required);
        } else if value.chars().count() > max {
            self.fail(field, Problem::TooLong { max });
        }
    }

    /// An ID number, if one is given.
    pub fn id_number(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            let today = self.now.with_timezone(&crate::SHANGHAI).date_naive();
            if let Err(p) = check_id_number(v, today) {
                self.fail(field, p);
            }
        }
    }

    /// A mobile number, if one is given.
    pub fn phone(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            if let Err(p) = check_mobile(v) {
                self.fail(field, p);
            }
        }
    }

    /// A time at which something happened: not before [`EARLIEST_YEAR`], not later than now
    /// (with slack for clock drift).
    pub fn happened(&mut self, field: &str, t: DateTime<Utc>) {
        let latest = self
            .now
            .checked_add_signed(FUTURE_SLACK)
            .unwrap_or(self.now);
        self.between(field, t, latest);
    }

    /// A time something is due: may be ahead, but not absurdly (five years), and not before
    /// [`EARLIEST_YEAR`].
    pub fn due(&mut self, field: &str, t: DateTime<Utc>) {
        self.between(field, t, latest_time(self.now));
    }

    /// A time kept by the system (created, updated, reviewed): within the range any record
    /// time may take, so it is stored, sent and read back the same everywhere.
    pub fn instant(&mut self, field: &str, t: DateTime<Utc>) {
        self.between(field, t, latest_time(self.now));
    }

    /// `t` from [`earliest_time`] to `latest`.
    fn between(&mut self, field: &str, t: DateTime<Utc>, latest: DateTime<Utc>) {
        if t < earliest_time() {
            self.fail(
                field,
                Problem::TooEarly {
                    min_year: EARLIEST_YEAR,
                },
            );
        } else if t > latest {
            self.fail(field, Problem::FarFuture);
        }
    }

    /// `end` must not precede `start`.
    pub fn ordered(&mut self, field: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        if end < start {
            self.fail(field, Problem::BeforeStart);
        }
    }

    /// A number within `min..=max`.
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < min || value > max {
            self.fail(field, Problem::OutOfRange { min, max });
        }
    }

    /// Every problem found, or `Ok` if there were none.
    pub fn finish(self) -> Result<(), ModelError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ModelError::Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    /// Builds a valid number from 17 digits by appending the right check character.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17).unwrap())
    }

    #[test]
    fn accepts_valid_id_numbers() {
        // The sample number of GB 11643-1999 itself (check character X), in either case.
        assert_eq!(check_id_number("11010519491231002X", today()), Ok(()));
        assert_eq!(check_id_number(" 11010519491231002x ", today()), Ok(()));
        for first17 in [
            "41092219850317001",
            "44052419800101001",
            "65010220061231123",
        ] {
            assert_eq!(
                check_id_number(&with_check(first17), today()),
                Ok(()),
                "{first17}"
            );
        }
    }

    #[test]
    fn rejects_a_wrong_check_digit_and_names_the_right_one() {
        assert_eq!(
            check_id_number("110105194912310021", today()),
            Err(Problem::IdNumberChecksum { expected: 'X' })
        );
    }

    #[test]
    fn rejects_bad_shapes_regions_and_dates() {
        let cases = [
            ("", Problem::IdNumberFormat),
            ("11010519491231002", Problem::IdNumberFormat),
            ("11010519491231002XX", Problem::IdNumberFormat),
            ("1101051949123100AX", Problem::IdNumberFormat),
            ("X10105194912310021", Problem::IdNumberFormat),
            (&*with_check("99010519491231002"), Problem::IdNumberRegion),
            (
                &*with_check("41092219850230001"),
                Problem::IdNumberBirthDate,
            ),
            (
                &*with_check("41092219851301001"),
                Problem::IdNumberBirthDate,
            ),
            (
                &*with_check("41092230010101001"),
                Problem::IdNumberBirthFuture,
            ),
            (
                &*with_check("41092220261129001"),
                Problem::IdNumberBirthFuture,
            ),
        ];
        for (id, want) in cases {
            assert_eq!(check_id_number(id, today()), Err(want), "{id}");
        }
    }

    #[test]
    fn the_standards_own_example_is_valid_and_old_dates_exist() {
        // GB 11643-1999's worked example: born 1880-01-01 in 广东省潮阳县.
        assert_eq!(check_id_number("440524188001010014", today()), Ok(()));
        // A birth date that exists is never reported as not existing, however old.
        for first17 in [
            "41092218991231001",
            "11010518000101001",
            "41092219000101001",
        ] {
            assert_eq!(
                check_id_number(&with_check(first17), today()),
                Ok(()),
                "{first17}"
            );
        }
    }

    #[test]
    fn an_implausible_age_is_a_warning_not_a_refusal() {
        assert_eq!(
            id_number_age_warning("440524188001010014", today()),
            Some(146)
        );
        assert_eq!(
            id_number_age_warning(&with_check("41092219061128001"), today()),
            None,
            "120 today is still plausible"
        );
        assert_eq!(
            id_number_age_warning(&with_check("41092219061129001"), today()),
            None
        );
        assert_eq!(
            id_number_age_warning(&with_check("41092219051128001"), today()),
            Some(121)
        );
        assert_eq!(id_number_age_warning("not a number", today()), None);
    }

    #[test]
    fn leap_day_birth_dates() {
        assert_eq!(
            check_id_number(&with_check("41092220000229001"), today()),
            Ok(())
        );
        assert_eq!(
            check_id_number(&with_check("41092219000229001"), today()),
            Err(Problem::IdNumberBirthDate)
        );
    }

    #[test]
    fn mobile_numbers() {
        for ok in [
            "13812345678",
            "+86 138-1234-5678",
            "008619912345678",
            "17700001111",
        ] {
            assert_eq!(check_mobile(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "1381234567",
            "23812345678",
            "12812345678",
            "138123456789",
            "0393-1234567",
            "1381234567a",
        ] {
            assert_eq!(check_mobile(bad), Err(Problem::Phone), "{bad}");
        }
    }

    #[test]
    fn checker_collects_every_problem() {
        let now = chrono::Utc::now();
        let mut c = Checker::new(now);
        c.text("name", " ", true, 10);
        c.phone("phone", Some("123"));
        c.happened("at", now + Duration::days(3));
        c.happened("ok", now + Duration::hours(2));
        let ModelError::Invalid(errs) = c.finish().unwrap_err() else {
            panic!("expected Invalid");
        };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone", "at"]);
        assert!(errs[0].message(crate::Lang::Zh).contains("必填"));
        let id = FieldError::new("members[1].id_number", Problem::IdNumberFormat);
        assert!(id.message(crate::Lang::Zh).starts_with("成员2 身份证号："));
        assert!(id
            .message(crate::Lang::En)
            .starts_with("member 2 ID number:"));
        assert!(errs[1].message(crate::Lang::En).contains("11 digits"));
    }
}
