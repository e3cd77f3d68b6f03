//! STIX timestamps: RFC 3339 in UTC with a `Z`, kept as written so an object
//! reads and writes back unchanged (`2017-01-01T00:00:00.000Z` keeps its
//! milliseconds, `2017-01-01T00:00:00Z` has none).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    text: String,
    /// Unix nanoseconds, for comparing.
    nanos: i128,
}

impl Timestamp {
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let shape_ok = text.len() >= 20 && text.ends_with('Z') && text.as_bytes().get(10) == Some(&b'T');
        let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339);
        match parsed {
            Ok(t) if shape_ok => Ok(Timestamp { text: text.to_string(), nanos: t.unix_timestamp_nanos() }),
            _ => Err(format!("`{text}` is not a STIX timestamp (RFC 3339 in UTC, such as 2026-01-31T12:00:00.000Z)")),
        }
    }

    /// Unix milliseconds.
    pub fn from_ms(ms: i64) -> Timestamp {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        );
        Timestamp { text, nanos: t.unix_timestamp_nanos() }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Unix milliseconds (sub-millisecond digits dropped).
    pub fn to_ms(&self) -> i64 {
        (self.nanos / 1_000_000) as i64
    }

    pub fn nanos(&self) -> i128 {
        self.nanos
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.nanos.cmp(&other.nanos))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_and_keep_their_precision() {
        let t = Timestamp::parse("2017-01-01T00:00:00.123456Z").unwrap();
        assert_eq!((t.as_str(), t.to_ms()), ("2017-01-01T00:00:00.123456Z", 1_483_228_800_123));
        assert!(Timestamp::parse("2017-01-01T00:00:00+01:00").is_err(), "UTC only");
        assert!(Timestamp::parse("2017-01-01").is_err());
        assert_eq!(Timestamp::from_ms(1_483_228_800_123).as_str(), "2017-01-01T00:00:00.123Z");
        assert!(Timestamp::parse("2017-01-01T00:00:01Z").unwrap() > t);
    }
}
