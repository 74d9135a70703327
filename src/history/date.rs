//! Dates for the history: `--since DATE` read strictly (a typo must not chart a different
//! window, as git's lenient date parser would), and commit times written as ISO 8601 in UTC.

/// Seconds since the epoch of `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS]` (UTC) or the
/// same with `Z` or a `±HH:MM` offset; a space may stand for the `T`. `None` for anything else,
/// including impossible dates (`2024-02-30`).
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    let (day, time) = match text.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = day.split('-');
    let year: i64 = number(parts.next()?, 4)?;
    let month: i64 = number(parts.next()?, 2)?;
    let dom: i64 = number(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) || dom < 1 {
        return None;
    }
    if dom > days_in_month(year, month) {
        return None;
    }
    let mut secs = days_from_civil(year, month, dom) * 86_400;
    if let Some(time) = time {
        secs += time_of_day(time)?;
    }
    Some(secs)
}

/// `HH:MM[:SS]` then `Z`, `±HH:MM` or nothing (UTC): seconds after midnight UTC.
fn time_of_day(text: &str) -> Option<i64> {
    let (clock, offset) = if let Some(c) = text.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(i) = text.rfind(['+', '-']) {
        let (c, o) = text.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (h, m) = o[1..].split_once(':').unwrap_or((&o[1..], "00"));
        let (h, m): (i64, i64) = (number(h, 2)?, number(m, 2)?);
        if h > 23 || m > 59 {
            return None;
        }
        (c, sign * (h * 3600 + m * 60))
    } else {
        (text, 0)
    };
    let mut fields = clock.split(':');
    let h: i64 = number(fields.next()?, 2)?;
    let m: i64 = number(fields.next()?, 2)?;
    let s: i64 = fields.next().map_or(Some(0), |s| number(s, 2))?;
    if fields.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(h * 3600 + m * 60 + s - offset)
}

/// Exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`,
/// the inverse of [`crate::provenance::utc_date`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A time in seconds since the epoch as ISO 8601 in UTC: `2024-05-01T12:30:00Z`.
pub fn iso_utc(secs: i64) -> String {
    let t = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::provenance::utc_date(secs),
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_parse_strictly() {
        assert_eq!(parse("1970-01-01"), Some(0));
        assert_eq!(parse("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse("2024-02-29T01:02:03Z"), Some(1_709_164_800 + 3723));
        assert_eq!(parse("2024-02-29 01:02"), Some(1_709_164_800 + 3720));
        assert_eq!(
            parse("2024-03-01T00:30:00+01:00"),
            Some(1_709_251_200 - 1800)
        );
        assert_eq!(
            parse("2024-02-29T23:00:00-05:00"),
            Some(1_709_164_800 + 28 * 3600)
        );
        for bad in [
            "",
            "yesterday",
            "2 weeks ago",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-1",
            "2024-01-01T25:00",
            "2024-01-01T12",
            "2024-01-01-",
            "2024-01-01T12:00+2",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_709_164_800 + 3723), "2024-02-29T01:02:03Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
        for secs in [0, 86_399, 951_782_400, 1_709_251_199, 4_102_444_800] {
            assert_eq!(parse(&iso_utc(secs)), Some(secs));
        }
    }
}
