//! Input of the Open311 endpoints: urlencoded arguments (query string and form body, repeated
//! keys kept), W3C datetimes and the date window of the list endpoints.

use axum::http::{header, HeaderMap};
use chrono::{DateTime, NaiveDate, TimeZone};

use super::format::{china, Failure};

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// The longest `start_date`–`end_date` span a list may ask for.
pub const MAX_SPAN_MS: i64 = 90 * DAY_MS;

/// The arguments of a call, in the order they came (form body first, then query string).
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub pairs: Vec<(String, String)>,
}

impl Args {
    /// Parse a query string or an `application/x-www-form-urlencoded` body.
    pub fn parse(input: &[u8]) -> Result<Args, Failure> {
        let mut pairs = Vec::new();
        for part in input.split(|b| *b == b'&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            let k = decode(k).ok_or_else(|| Failure::bad("the arguments are not valid UTF-8"))?;
            let v = decode(v).ok_or_else(|| Failure::bad("the arguments are not valid UTF-8"))?;
            pairs.push((k, v));
        }
        Ok(Args { pairs })
    }

    pub fn extend(&mut self, other: Args) {
        self.pairs.extend(other.pairs);
    }

    /// The first non-empty value of `key`, trimmed (an empty argument counts as absent).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// The comma-separated values of `key` (all occurrences), trimmed, empty ones dropped.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// An integer argument in `min..=max`, `default` when absent.
    pub fn int(&self, key: &str, default: i64, min: i64, max: i64) -> Result<i64, Failure> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(Failure::bad(format!(
                    "{key}: must be a whole number from {min} to {max}"
                ))),
            },
        }
    }
}

/// Percent-decode one component (`+` is a space); `None` when the bytes are not UTF-8.
/// A malformed escape is kept as it is, as browsers do.
fn decode(s: &[u8]) -> Option<String> {
    let hex = |b: u8| -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A W3C datetime (the ISO 8601 profile): with seconds or not, fractions allowed, `Z` or an
/// offset; a bare date means midnight China time. A `+` turned into a space by an unencoded
/// query string is put back. Returns ms since the epoch.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    parse_w3c(s).or_else(|| parse_w3c(&s.replace(' ', "+")))
}

fn parse_w3c(s: &str) -> Option<i64> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    let s = match s.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => s.to_string(),
    };
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&s, f) {
            return Some(d.timestamp_millis());
        }
    }
    let day = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()?;
    let midnight = day.and_hms_opt(0, 0, 0)?;
    china()
        .from_local_datetime(&midnight)
        .single()
        .map(|d| d.timestamp_millis())
}

/// The `[start_date, end_date]` window of a list, in ms. Absent: the last `default_span`
/// up to now; only a start: 90 days from it; only an end: `default_span` before it. A span
/// over 90 days is refused.
pub fn window(args: &Args, now: i64, default_span: i64) -> Result<(i64, i64), Failure> {
    let date = |key: &str| -> Result<Option<i64>, Failure> {
        match args.get(key) {
            None => Ok(None),
            Some(v) => parse_datetime(v).map(Some).ok_or_else(|| {
                Failure::bad(format!(
                    "{key}: not a W3C datetime with a timezone (e.g. 2025-01-01T00:00:00+08:00)"
                ))
            }),
        }
    };
    let (from, to) = match (date("start_date")?, date("end_date")?) {
        (None, None) => (now - default_span, now),
        (Some(s), None) => (s, s.saturating_add(MAX_SPAN_MS)),
        (None, Some(e)) => (e.saturating_sub(default_span), e),
        (Some(s), Some(e)) => (s, e),
    };
    if to < from {
        return Err(Failure::bad("end_date: before start_date"));
    }
    if to - from > MAX_SPAN_MS {
        return Err(Failure::bad(
            "start_date, end_date: the span may not exceed 90 days",
        ));
    }
    Ok((from, to))
}

/// Whether to answer in English: `lang=en` (or `lang=zh`) decides, else `Accept-Language`.
pub fn english(args: &Args, headers: &HeaderMap) -> bool {
    if let Some(l) = args.get("lang") {
        return l.to_ascii_lowercase().starts_with("en");
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase().starts_with("en"))
        .unwrap_or(false)
}

/// The base URL of the service as the client sees it (`Host`, and `X-Forwarded-Proto` from a
/// proxy), or a relative base when the header is unusable.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        Some("https") => "https",
        _ => "http",
    };
    match host {
        Some(h) => format!("{scheme}://{h}{}", super::BASE),
        None => super::BASE.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_repeats_and_decode() {
        let a = Args::parse(b"a=1&attribute%5Bk%5D%5B%5D=x+y&attribute[k][]=%E4%B8%AD&e=&bad=%zz&")
            .expect("parse");
        assert_eq!(a.get("a"), Some("1"));
        assert_eq!(a.get("e"), None);
        assert_eq!(a.get("bad"), Some("%zz"));
        let k: Vec<&str> = a
            .pairs
            .iter()
            .filter(|(k, _)| k == "attribute[k][]")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(k, vec!["x y", "中"]);
        assert!(Args::parse(b"a=%FF").is_err());
        assert_eq!(Args::parse(b"x=%4").expect("p").get("x"), Some("%4"));
    }

    #[test]
    fn datetimes() {
        let t = parse_datetime("2025-01-01T00:00:00Z").expect("z");
        assert_eq!(parse_datetime("2025-01-01T08:00:00+08:00"), Some(t));
        assert_eq!(parse_datetime("2025-01-01T08:00:00 08:00"), Some(t));
        assert_eq!(parse_datetime("2025-01-01T08:00+0800"), Some(t));
        assert_eq!(parse_datetime("2025-01-01T00:00Z"), Some(t));
        assert_eq!(parse_datetime("2025-01-01T08:00:00.000+08:00"), Some(t));
        assert_eq!(parse_datetime("2025-01-01"), Some(t - 8 * 3_600_000));
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn windows() {
        let now = 1_000 * DAY_MS;
        let a = Args::default();
        assert_eq!(
            window(&a, now, MAX_SPAN_MS).ok(),
            Some((now - MAX_SPAN_MS, now))
        );
        let a = Args::parse(b"start_date=2025-01-01T00:00:00Z&end_date=2025-04-11T00:00:00Z")
            .expect("p");
        assert!(window(&a, now, DAY_MS).is_err());
        let a = Args::parse(b"start_date=2025-01-02T00:00:00Z&end_date=2025-01-01T00:00:00Z")
            .expect("p");
        assert!(window(&a, now, DAY_MS).is_err());
        let a = Args::parse(b"start_date=soon").expect("p");
        assert!(window(&a, now, DAY_MS).is_err());
    }
}
