//! RFC 3339 timestamps in UTC with whole seconds (`2027-01-31T00:00:00Z`), to and from Unix
//! seconds. Only this one form is accepted: no offsets, no fractions, no leap seconds, years
//! 1970 to 9999. The civil-calendar arithmetic is the proleptic Gregorian calendar.

use crate::model::Timestamp;

/// The last second representable as an RFC 3339 timestamp: 9999-12-31T23:59:59Z.
pub const MAX_RFC3339: u64 = 253_402_300_799;

/// Why a timestamp was rejected; the message is lowercase, the help says what to write.
#[derive(Clone, Debug, PartialEq, Eq)]
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
///
/// ```
/// use fgac::syntax::time::parse_rfc3339;
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap().unix_seconds(), 0);
/// assert_eq!(parse_rfc3339("2027-01-31T00:00:00Z").unwrap().unix_seconds(), 1_801_353_600);
/// assert!(parse_rfc3339("2027-02-29T00:00:00Z").is_err());
/// ```
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
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
pub fn format_rfc3339(t: Timestamp) -> Option<String> {
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
