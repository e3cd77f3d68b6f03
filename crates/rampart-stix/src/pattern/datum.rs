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

impl Datum {
    pub(super) fn get(&self, key: &str) -> Option<&Datum> {
        let Datum::Map(entries) = self else { return None };
        entries.iter().find(|(k, _)| k.len() == key.len() && k.as_bytes() == key.as_bytes()).map(|(_, v)| v)
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
