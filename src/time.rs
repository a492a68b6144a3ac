//! Time: [`Timestamp`], an instant in whole seconds since the Unix epoch, and its text forms,
//! RFC 3339 in UTC with whole seconds (`2027-01-31T00:00:00Z`) and epoch seconds (`1801353600`).
//! Only that one RFC 3339 form is accepted: no offsets, no fractions, no leap seconds, years 1970
//! to 9999. The civil-calendar arithmetic is the proleptic Gregorian calendar.
//!
//! There is no default time: a decision is always made at a time the caller chose, and a
//! forgotten argument cannot silently mean 1970 (when every expired credential was still valid).

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time, in whole seconds since the Unix epoch (UTC).
///
/// ```
/// use fgac::Timestamp;
/// let t: Timestamp = "2027-01-31T00:00:00Z".parse()?;
/// assert_eq!(t, Timestamp::from_unix_seconds(1_801_353_600));
/// assert_eq!("1801353600".parse::<Timestamp>()?, t);
/// assert_eq!(t.to_string(), "2027-01-31T00:00:00Z");
/// # Ok::<(), fgac::TimeError>(())
/// ```
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The latest instant: every credential with an expiry is expired at it.
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// The timestamp `secs` seconds after the Unix epoch.
    #[must_use]
    pub const fn from_unix_seconds(secs: u64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }

    /// The current time, read from the system clock (the engine itself never reads it: call this
    /// where a request arrives, and pass the result). A clock set before 1970 gives
    /// [`Timestamp::MAX`], at which every credential that expires is expired: a broken clock
    /// fails closed.
    #[must_use]
    pub fn now() -> Timestamp {
        Timestamp::try_from(SystemTime::now()).unwrap_or(Timestamp::MAX)
    }

    /// `seconds` later, saturating at [`Timestamp::MAX`].
    #[must_use]
    pub const fn saturating_add(self, seconds: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }
}

/// A system time before the Unix epoch, which no [`Timestamp`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the time is before the Unix epoch")]
pub struct BeforeEpoch;

impl TryFrom<SystemTime> for Timestamp {
    type Error = BeforeEpoch;

    /// Whole seconds since the epoch (a fraction of a second is dropped).
    fn try_from(t: SystemTime) -> Result<Timestamp, BeforeEpoch> {
        t.duration_since(UNIX_EPOCH)
            .map(|d| Timestamp(d.as_secs()))
            .map_err(|_| BeforeEpoch)
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;

    /// Epoch seconds (`1801353600`) or RFC 3339 in UTC (`2027-01-31T00:00:00Z`).
    fn from_str(text: &str) -> Result<Timestamp, TimeError> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().map(Timestamp).map_err(|_| {
                err(
                    format!("`{text}` seconds is out of range"),
                    "epoch seconds go up to 18446744073709551615",
                )
            });
        }
        parse_rfc3339(text)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 (`2027-01-31T00:00:00Z`), or epoch seconds past year 9999.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match format_rfc3339(*self) {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The last second representable as an RFC 3339 timestamp: 9999-12-31T23:59:59Z.
pub(crate) const MAX_RFC3339: u64 = 253_402_300_799;

/// Why a timestamp was rejected; the message is lowercase, the help says what to write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TimeError {
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub help: &'static str,
}

const FORM_HELP: &str = "write an RFC 3339 time in UTC, like `2027-01-31T00:00:00Z`";

fn err(message: impl Into<String>, help: &'static str) -> TimeError {
    TimeError {
        message: message.into(),
        help,
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
    let b = text.as_bytes();
    let date_and_time = |b: &[u8]| {
        b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
    };
    // Precise advice for a well-formed date and time followed by the wrong ending.
    let well_formed = b.len() >= 19 && date_and_time(&b[..19]);
    match (b.get(19).filter(|_| well_formed), b.len()) {
        (Some(b'.'), _) => {
            return Err(err(
                format!("`{text}` has fractions of a second"),
                "fgac keeps whole seconds; drop the fraction",
            ));
        }
        (Some(b'+' | b'-'), _) => {
            return Err(err(
                format!("`{text}` has a UTC offset"),
                "write the time in UTC, ending in `Z`",
            ));
        }
        (None, 19) if well_formed => {
            return Err(err(
                format!("`{text}` has no time zone"),
                "write the time in UTC, ending in `Z`",
            ));
        }
        _ => {}
    }
    if !(b.len() == 20 && well_formed && b[19] == b'Z') {
        return Err(err(format!("`{text}` is not a timestamp"), FORM_HELP));
    }
    let num = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (hour, minute, second) = (num(11..13), num(14..16), num(17..19));
    if year < 1970 {
        return Err(err(
            format!("`{text}` is before 1970"),
            "times start at the Unix epoch, 1970-01-01T00:00:00Z",
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(err(
            format!("month {month:02} does not exist in `{text}`"),
            FORM_HELP,
        ));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(err(
            format!("day {day:02} does not exist in month {month:02} of {year} in `{text}`"),
            FORM_HELP,
        ));
    }
    if hour > 23 || minute > 59 {
        return Err(err(format!("`{text}` is not a time of day"), FORM_HELP));
    }
    if second == 60 {
        return Err(err(
            format!("`{text}` is a leap second"),
            "fgac follows Unix time, which has no leap seconds; use `:59`",
        ));
    }
    if second > 59 {
        return Err(err(format!("`{text}` is not a time of day"), FORM_HELP));
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Ok(Timestamp(secs as u64))
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ`, or `None` past year 9999.
pub(crate) fn format_rfc3339(t: Timestamp) -> Option<String> {
    if t.0 > MAX_RFC3339 {
        return None;
    }
    let secs = t.0 as i64;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (March-based years make February the last month).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T12:34:56Z", 951_827_696),
            ("2023-11-14T22:13:20Z", 1_700_000_000),
            ("9999-12-31T23:59:59Z", MAX_RFC3339),
        ] {
            assert_eq!(parse_rfc3339(text), Ok(Timestamp(secs)), "{text}");
            assert_eq!(format_rfc3339(Timestamp(secs)).as_deref(), Some(text));
        }
        assert_eq!(format_rfc3339(Timestamp(MAX_RFC3339 + 1)), None);
    }

    #[test]
    fn rejects_what_is_not_one_utc_second() {
        for (text, fragment) in [
            ("2027-13-01T00:00:00Z", "month 13"),
            ("2027-02-29T00:00:00Z", "day 29"),
            ("1900-02-29T00:00:00Z", "before 1970"),
            ("2027-01-01T24:00:00Z", "not a time of day"),
            ("2016-12-31T23:59:60Z", "leap second"),
            ("2027-01-01T00:00:00+01:00", "UTC offset"),
            ("2027-01-01T00:00:00.5Z", "fractions"),
            ("2027-01-01T00:00:00", "no time zone"),
            ("2027-1-01T00:00:00Z", "not a timestamp"),
            ("10000-01-01T00:00:00Z", "not a timestamp"),
            ("-001-01-01T00:00:00Z", "not a timestamp"),
        ] {
            let e = parse_rfc3339(text).unwrap_err();
            assert!(e.message.contains(fragment), "{text}: {}", e.message);
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_is_the_identity(secs in 0..=MAX_RFC3339) {
            let text = format_rfc3339(Timestamp(secs)).unwrap();
            prop_assert_eq!(parse_rfc3339(&text), Ok(Timestamp(secs)));
        }
    }
}
