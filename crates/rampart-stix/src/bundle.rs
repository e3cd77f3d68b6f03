//! Bundles: read as a stream, one object at a time, so memory holds one
//! object however large the bundle; each object that does not read is
//! reported with its index and the reason, and the others are kept. Written
//! the same way.

use std::fmt;
use std::io::{Read, Write};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::StixObject;

/// An object of a bundle that was not accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectError {
    /// Its position in the bundle's `objects`, from 0.
    pub index: usize,
    /// Its `id`, when it has one.
    pub id: Option<String>,
    pub reason: String,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "objects[{}] ({id}): {}", self.index, self.reason),
            None => write!(f, "objects[{}]: {}", self.index, self.reason),
        }
    }
}

/// Reads a bundle from `reader`, handing each object (or why it was refused)
/// to `each` in order. The error is for the bundle as a whole: not JSON, not
/// a bundle. Answers how many objects the bundle held.
pub fn read_bundle<R: Read>(reader: R, mut each: impl FnMut(Result<StixObject, ObjectError>)) -> Result<usize, String> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let count = serde::Deserializer::deserialize_map(&mut de, BundleVisitor { each: &mut each })
        .map_err(|e| format!("the bundle could not be read: {e}"))?;
    de.end().map_err(|e| format!("the bundle could not be read: {e}"))?;
    Ok(count)
}

/// Reads a bundle already parsed as JSON (a TAXII envelope's objects, say).
pub fn read_bundle_value(
    value: &Value,
    mut each: impl FnMut(Result<StixObject, ObjectError>),
) -> Result<usize, String> {
    if value.get("type").and_then(Value::as_str) != Some("bundle") {
        return Err("the bundle could not be read: its type is not \"bundle\"".into());
    }
    let objects = value.get("objects").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (index, object) in objects.iter().enumerate() {
        each(read_object(index, object.clone()));
    }
    Ok(objects.len())
}

/// Reads the object at `index` of a list (a bundle's, an envelope's).
pub fn read_object(index: usize, value: Value) -> Result<StixObject, ObjectError> {
    let id = value.get("id").and_then(Value::as_str).map(str::to_string);
    StixObject::from_value(value).map_err(|reason| ObjectError { index, id, reason })
}

struct BundleVisitor<'a, F> {
    each: &'a mut F,
}

impl<'de, F: FnMut(Result<StixObject, ObjectError>)> Visitor<'de> for BundleVisitor<'_, F> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX bundle: {\"type\": \"bundle\", \"id\": …, \"objects\": […]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut count = 0;
        let mut kind: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let t: String = map.next_value()?;
                    if t != "bundle" {
                        return Err(serde::de::Error::custom(format!("its type is {t:?}, not \"bundle\"")));
                    }
                    kind = Some(t);
                }
                "objects" => count = map.next_value_seed(Objects { each: &mut *self.each })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if kind.is_none() {
            return Err(serde::de::Error::custom("it has no \"type\": \"bundle\""));
        }
        Ok(count)
    }
}

struct Objects<'a, F> {
    each: &'a mut F,
}

impl<'de, F: FnMut(Result<StixObject, ObjectError>)> DeserializeSeed<'de> for Objects<'_, F> {
    type Value = usize;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Result<StixObject, ObjectError>)> Visitor<'de> for Objects<'_, F> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut index = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            (self.each)(read_object(index, value));
            index += 1;
        }
        Ok(index)
    }
}

/// Writes a bundle one object at a time.
pub struct BundleWriter<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> fmt::Debug for BundleWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleWriter").finish_non_exhaustive()
    }
}

impl<W: Write> BundleWriter<W> {
    /// Starts a bundle with a fresh identifier.
    pub fn new(mut out: W) -> std::io::Result<BundleWriter<W>> {
        write!(out, "{{\"type\": \"bundle\", \"id\": \"{}\", \"objects\": [", crate::new_id("bundle"))?;
        Ok(BundleWriter { out, first: true })
    }

    pub fn object(&mut self, object: &Value) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, object)?;
        Ok(())
    }

    /// Ends the bundle and answers the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_bad_object_is_reported_and_the_others_kept() {
        let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
            crate::Tlp::Amber.marking_definition(),
            {"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.1"},
            "not an object",
            crate::Tlp::Red.marking_definition(),
        ]});
        let (mut kept, mut refused) = (Vec::new(), Vec::new());
        let count = read_bundle(bundle.to_string().as_bytes(), |r| match r {
            Ok(o) => kept.push(o.id),
            Err(e) => refused.push(e),
        })
        .unwrap();
        assert_eq!(count, 4);
        assert_eq!(kept, [crate::Tlp::Amber.marking_id(), crate::Tlp::Red.marking_id()]);
        assert_eq!(refused[0].index, 1);
        assert_eq!(
            refused[0].to_string(),
            "objects[1] (indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f): missing field `pattern`"
        );
        assert_eq!((refused[1].index, refused[1].reason.as_str()), (2, "is not a JSON object"));
        let mut from_value = 0;
        read_bundle_value(&bundle, |r| from_value += usize::from(r.is_ok())).unwrap();
        assert_eq!(from_value, 2, "the same from parsed JSON");
    }

    #[test]
    fn what_is_not_a_bundle_is_refused_whole() {
        assert!(read_bundle(&b"{\"type\": \"report\"}"[..], |_| {}).unwrap_err().contains("not \"bundle\""));
        assert!(read_bundle(&b"[1, 2]"[..], |_| {}).is_err());
        assert!(read_bundle(&b"{\"type\": \"bundle\", \"objects\": [}"[..], |_| {}).is_err());
    }

    #[test]
    fn a_written_bundle_reads_back() {
        let mut w = BundleWriter::new(Vec::new()).unwrap();
        for tlp in crate::Tlp::ALL {
            w.object(&tlp.marking_definition()).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut ids = Vec::new();
        assert_eq!(read_bundle(&bytes[..], |r| ids.push(r.unwrap().id)).unwrap(), 5);
        assert_eq!(ids[4], crate::Tlp::Red.marking_id());
    }
}
