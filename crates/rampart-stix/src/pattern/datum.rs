//! Observed objects as the matcher walks them. JSON objects become short
//! lists of (key, value) searched by length first: cyber observables have a
//! handful of properties, and this is several times faster to look up than
//! the general map a JSON parser builds.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Datum {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(Box<str>),
    List(Vec<Datum>),
    Map(Vec<(Box<str>, Datum)>),
}

/// Byte equality for the short strings patterns compare (keys, addresses,
/// names): overlapping word loads instead of a call to `memcmp`, which for
/// a dozen bytes costs more in the call than in the comparing.
#[inline]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        0 => true,
        1..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

impl Datum {
    pub(super) fn get(&self, key: &str) -> Option<&Datum> {
        let Datum::Map(entries) = self else { return None };
        entries.iter().find(|(k, _)| same(k.as_bytes(), key.as_bytes())).map(|(_, v)| v)
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        if let Datum::Str(s) = self { Some(s) } else { None }
    }
}

impl From<Value> for Datum {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Datum::Null,
            Value::Bool(b) => Datum::Bool(b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Datum::Int(i128::from(i)),
                (_, Some(u)) => Datum::Int(i128::from(u)),
                _ => Datum::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Datum::Str(s.into_boxed_str()),
            Value::Array(items) => Datum::List(items.into_iter().map(Datum::from).collect()),
            Value::Object(map) => {
                Datum::Map(map.into_iter().map(|(k, v)| (k.into_boxed_str(), Datum::from(v))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_is_byte_equality_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..text.len() {
            let a = &text.as_bytes()[..n];
            assert!(super::same(a, a));
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert!(!super::same(a, &b), "{n} {at}");
            }
            assert!(!super::same(a, &text.as_bytes()[1..=n]) || n == 0);
        }
    }
}
