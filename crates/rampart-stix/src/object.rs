//! STIX objects: the common properties every object carries, typed; the
//! properties of each type Rampart works with, typed and checked; and every
//! other property (custom `x_` ones, those of types we do not model) kept as
//! JSON, so that an object reads and writes back unchanged.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Timestamp;

/// What kind of object a type is (STIX 2.1, section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A domain object: attack-pattern, indicator, report, …
    Domain,
    /// A relationship object: relationship, sighting.
    Relationship,
    /// A cyber-observable: ipv4-addr, file, url, …
    Observable,
    /// A meta object: marking-definition, language-content, extension-definition.
    Meta,
    /// A type STIX does not define (`x-…` and others): kept as it is.
    Custom,
}

const DOMAIN: [&str; 19] = [
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

const OBSERVABLE: [&str; 18] = [
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// Observables identified by their `value`, which they therefore require.
const VALUED: [&str; 6] = ["domain-name", "email-addr", "ipv4-addr", "ipv6-addr", "mac-addr", "url"];

pub fn category_of(kind: &str) -> Category {
    if DOMAIN.contains(&kind) {
        Category::Domain
    } else if matches!(kind, "relationship" | "sighting") {
        Category::Relationship
    } else if OBSERVABLE.contains(&kind) {
        Category::Observable
    } else if matches!(kind, "marking-definition" | "language-content" | "extension-definition") {
        Category::Meta
    } else {
        Category::Custom
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalReference {
    pub source_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GranularMarking {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marking_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    pub selectors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
}

macro_rules! body_structs {
    ($($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? })*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            pub struct $name {
                $($(#[$fmeta])* pub $field: $ty,)*
                /// Every other property, kept as it came.
                #[serde(flatten)]
                pub extra: Map<String, Value>,
            }
        )*
    };
}

body_structs! {
    AttackPattern {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] aliases: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")] kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
    CourseOfAction {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    }
    Identity {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] roles: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")] identity_class: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] sectors: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")] contact_information: Option<String>,
    }
    Incident {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
    Indicator {
        #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] indicator_types: Option<Vec<String>>,
        pattern: String,
        pattern_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] pattern_version: Option<String>,
        valid_from: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")] valid_until: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")] kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
    Malware {
        #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] malware_types: Option<Vec<String>>,
        is_family: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")] aliases: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")] kill_chain_phases: Option<Vec<KillChainPhase>>,
    }
    Note {
        #[serde(default, skip_serializing_if = "Option::is_none")] r#abstract: Option<String>,
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] authors: Option<Vec<String>>,
        object_refs: Vec<String>,
    }
    ObservedData {
        first_observed: Timestamp,
        last_observed: Timestamp,
        number_observed: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")] object_refs: Option<Vec<String>>,
    }
    Report {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] report_types: Option<Vec<String>>,
        published: Timestamp,
        object_refs: Vec<String>,
    }
    Vulnerability {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
    }
    Relationship {
        relationship_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        source_ref: String,
        target_ref: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] start_time: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")] stop_time: Option<Timestamp>,
    }
    Sighting {
        #[serde(default, skip_serializing_if = "Option::is_none")] description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] first_seen: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")] last_seen: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")] count: Option<u64>,
        sighting_of_ref: String,
        #[serde(default, skip_serializing_if = "Option::is_none")] observed_data_refs: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")] where_sighted_refs: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")] summary: Option<bool>,
    }
    MarkingDefinition {
        #[serde(default, skip_serializing_if = "Option::is_none")] name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] definition_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")] definition: Option<Value>,
    }
    /// A cyber-observable: its `value` where the type has one, the rest as it came.
    Observable {
        #[serde(default, skip_serializing_if = "Option::is_none")] value: Option<String>,
    }
}

/// The properties of an object's own type.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    AttackPattern(AttackPattern),
    CourseOfAction(CourseOfAction),
    Identity(Identity),
    Incident(Incident),
    Indicator(Indicator),
    Malware(Malware),
    Note(Note),
    ObservedData(ObservedData),
    Report(Report),
    Vulnerability(Vulnerability),
    Relationship(Relationship),
    Sighting(Sighting),
    MarkingDefinition(MarkingDefinition),
    Observable(Observable),
    /// A type we do not model: every property but the common ones, as it came.
    Other(Map<String, Value>),
}

/// One STIX object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Common {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_references: Option<Vec<ExternalReference>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_marking_refs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granular_markings: Option<Vec<GranularMarking>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// A STIX object: its common properties and its type's own.
#[derive(Debug, Clone, PartialEq)]
pub struct StixObject {
    pub kind: String,
    pub id: String,
    pub spec_version: Option<String>,
    pub created: Option<Timestamp>,
    pub modified: Option<Timestamp>,
    pub created_by_ref: Option<String>,
    pub revoked: Option<bool>,
    pub labels: Option<Vec<String>>,
    pub confidence: Option<u8>,
    pub lang: Option<String>,
    pub external_references: Option<Vec<ExternalReference>>,
    pub object_marking_refs: Option<Vec<String>>,
    pub granular_markings: Option<Vec<GranularMarking>>,
    pub extensions: Option<Map<String, Value>>,
    pub body: Body,
}

/// Reads `T` from the object's other properties, naming the property at fault.
fn typed<T: DeserializeOwned>(rest: Map<String, Value>) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(rest)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." { inner } else { format!("{path}: {inner}") }
    })
}

/// An identifier `kind--UUID`.
pub fn check_id(kind: &str, id: &str, field: &str) -> Result<(), String> {
    let uuid_ok = id
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix("--"))
        .is_some_and(|u| uuid::Uuid::try_parse(u).is_ok());
    if uuid_ok {
        Ok(())
    } else {
        Err(format!("{field}: `{id}` is not an identifier of a {kind} (`{kind}--` and a UUID)"))
    }
}

/// An identifier of any type: `type--UUID`.
fn check_ref(id: &str, field: &str) -> Result<(), String> {
    match id.split_once("--") {
        Some((kind, _)) if !kind.is_empty() => check_id(kind, id, field),
        _ => Err(format!("{field}: `{id}` is not a STIX identifier (`type--` and a UUID)")),
    }
}

impl StixObject {
    /// Reads and checks one object; the error names the property and the reason.
    pub fn from_value(value: Value) -> Result<StixObject, String> {
        if !value.is_object() {
            return Err("is not a JSON object".into());
        }
        let c: Common = typed(value.as_object().cloned().unwrap_or_default())?;
        let body = match c.kind.as_str() {
            "attack-pattern" => Body::AttackPattern(typed(c.rest)?),
            "course-of-action" => Body::CourseOfAction(typed(c.rest)?),
            "identity" => Body::Identity(typed(c.rest)?),
            "incident" => Body::Incident(typed(c.rest)?),
            "indicator" => Body::Indicator(typed(c.rest)?),
            "malware" => Body::Malware(typed(c.rest)?),
            "note" => Body::Note(typed(c.rest)?),
            "observed-data" => Body::ObservedData(typed(c.rest)?),
            "report" => Body::Report(typed(c.rest)?),
            "vulnerability" => Body::Vulnerability(typed(c.rest)?),
            "relationship" => Body::Relationship(typed(c.rest)?),
            "sighting" => Body::Sighting(typed(c.rest)?),
            "marking-definition" => Body::MarkingDefinition(typed(c.rest)?),
            kind if category_of(kind) == Category::Observable => Body::Observable(typed(c.rest)?),
            _ => Body::Other(c.rest),
        };
        let object = StixObject {
            kind: c.kind,
            id: c.id,
            spec_version: c.spec_version,
            created: c.created,
            modified: c.modified,
            created_by_ref: c.created_by_ref,
            revoked: c.revoked,
            labels: c.labels,
            confidence: c.confidence,
            lang: c.lang,
            external_references: c.external_references,
            object_marking_refs: c.object_marking_refs,
            granular_markings: c.granular_markings,
            extensions: c.extensions,
            body,
        };
        object.check()?;
        Ok(object)
    }

    pub fn category(&self) -> Category {
        category_of(&self.kind)
    }

    /// The rules of STIX 2.1 beyond the shape of each property.
    fn check(&self) -> Result<(), String> {
        let kind = self.kind.as_str();
        if kind.is_empty()
            || kind.len() > 250
            || !kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!("type: `{kind}` is not a STIX type (lower-case letters, digits and hyphens)"));
        }
        check_id(kind, &self.id, "id")?;
        let category = self.category();
        if category != Category::Observable && self.spec_version.as_deref() != Some("2.1") {
            return Err("spec_version: must be \"2.1\"".into());
        }
        if matches!(category, Category::Domain | Category::Relationship) {
            let (Some(created), Some(modified)) = (&self.created, &self.modified) else {
                return Err("created and modified are required".into());
            };
            if modified < created {
                return Err(format!("modified: {modified} is before created ({created})"));
            }
        }
        if category == Category::Meta && self.kind == "marking-definition" && self.created.is_none() {
            return Err("created is required".into());
        }
        if self.confidence.is_some_and(|c| c > 100) {
            return Err("confidence: must be from 0 to 100".into());
        }
        for (i, r) in self.object_marking_refs.iter().flatten().enumerate() {
            check_id("marking-definition", r, &format!("object_marking_refs[{i}]"))?;
        }
        if let Some(by) = &self.created_by_ref {
            check_id("identity", by, "created_by_ref")?;
        }
        match &self.body {
            Body::Indicator(i) => {
                if let Some(until) = &i.valid_until
                    && until <= &i.valid_from
                {
                    return Err(format!("valid_until: {until} is not after valid_from ({})", i.valid_from));
                }
            }
            Body::Malware(m) if m.is_family && m.name.as_deref().is_none_or(str::is_empty) => {
                return Err("name: is required for a malware family (is_family: true)".into());
            }
            Body::Note(n) if n.object_refs.is_empty() => {
                return Err("object_refs: must name at least one object".into());
            }
            Body::Report(r) if r.object_refs.is_empty() => {
                return Err("object_refs: must name at least one object".into());
            }
            Body::ObservedData(o) => {
                if !(1..=999_999_999).contains(&o.number_observed) {
                    return Err("number_observed: must be from 1 to 999,999,999".into());
                }
                if o.last_observed < o.first_observed {
                    return Err("last_observed: is before first_observed".into());
                }
            }
            Body::Relationship(r) => {
                check_ref(&r.source_ref, "source_ref")?;
                check_ref(&r.target_ref, "target_ref")?;
            }
            Body::Sighting(s) => {
                check_ref(&s.sighting_of_ref, "sighting_of_ref")?;
                if s.count.is_some_and(|c| c > 999_999_999) {
                    return Err("count: must be from 0 to 999,999,999".into());
                }
            }
            Body::Observable(o) if VALUED.contains(&kind) && o.value.as_deref().is_none_or(str::is_empty) => {
                return Err(format!("value: is required for {kind}"));
            }
            _ => {}
        }
        Ok(())
    }

    /// The object as JSON: every property it came with, and those set since.
    pub fn to_value(&self) -> Value {
        let body = match &self.body {
            Body::AttackPattern(b) => serde_json::to_value(b),
            Body::CourseOfAction(b) => serde_json::to_value(b),
            Body::Identity(b) => serde_json::to_value(b),
            Body::Incident(b) => serde_json::to_value(b),
            Body::Indicator(b) => serde_json::to_value(b),
            Body::Malware(b) => serde_json::to_value(b),
            Body::Note(b) => serde_json::to_value(b),
            Body::ObservedData(b) => serde_json::to_value(b),
            Body::Report(b) => serde_json::to_value(b),
            Body::Vulnerability(b) => serde_json::to_value(b),
            Body::Relationship(b) => serde_json::to_value(b),
            Body::Sighting(b) => serde_json::to_value(b),
            Body::MarkingDefinition(b) => serde_json::to_value(b),
            Body::Observable(b) => serde_json::to_value(b),
            Body::Other(map) => Ok(Value::Object(map.clone())),
        };
        let rest = match body {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let common = Common {
            kind: self.kind.clone(),
            id: self.id.clone(),
            spec_version: self.spec_version.clone(),
            created: self.created.clone(),
            modified: self.modified.clone(),
            created_by_ref: self.created_by_ref.clone(),
            revoked: self.revoked,
            labels: self.labels.clone(),
            confidence: self.confidence,
            lang: self.lang.clone(),
            external_references: self.external_references.clone(),
            object_marking_refs: self.object_marking_refs.clone(),
            granular_markings: self.granular_markings.clone(),
            extensions: self.extensions.clone(),
            rest,
        };
        serde_json::to_value(common).unwrap_or(Value::Null)
    }

    /// The version an object is at: `modified`, else `created` (observables have neither).
    pub fn version(&self) -> Option<&Timestamp> {
        self.modified.as_ref().or(self.created.as_ref())
    }
}

impl Serialize for StixObject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for StixObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        StixObject::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn indicator() -> Value {
        json!({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-11-30T08:00:00.000Z", "modified": "2026-11-30T08:00:00.000Z",
            "name": "C2 of the FS01 ransomware", "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
            "valid_from": "2026-11-30T08:00:00Z", "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
            "x_rampart_case": "IR-118", "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}]
        })
    }

    #[test]
    fn an_object_reads_typed_and_writes_back_unchanged() {
        let object = StixObject::from_value(indicator()).unwrap();
        let Body::Indicator(i) = &object.body else { panic!("an indicator") };
        assert_eq!((i.pattern_type.as_str(), i.valid_from.as_str()), ("stix", "2026-11-30T08:00:00Z"));
        assert_eq!(i.extra["x_rampart_case"], "IR-118", "a custom property is kept");
        assert_eq!(object.to_value(), indicator());
        let custom = json!({"type": "x-mitre-tactic", "spec_version": "2.1", "id": "x-mitre-tactic--4ca45d45-df4d-4613-8980-bac22d278fa5",
                            "created": "2018-10-17T00:14:20.652Z", "modified": "2018-10-17T00:14:20.652Z", "x_mitre_shortname": "execution"});
        assert_eq!(StixObject::from_value(custom.clone()).unwrap().to_value(), custom, "an unknown type too");
    }

    #[test]
    fn bad_objects_say_which_property_and_why() {
        let reason = |patch: Value| {
            let mut v = indicator();
            for (k, x) in patch.as_object().unwrap() {
                if x.is_null() {
                    v.as_object_mut().unwrap().remove(k);
                } else {
                    v[k] = x.clone();
                }
            }
            StixObject::from_value(v).unwrap_err()
        };
        assert!(
            reason(json!({"pattern": null})).contains("missing field `pattern`"),
            "{}",
            reason(json!({"pattern": null}))
        );
        assert!(
            reason(json!({"valid_from": "yesterday"})).starts_with("valid_from: `yesterday` is not a STIX timestamp")
        );
        assert!(reason(json!({"id": "indicator--nope"})).starts_with("id: "));
        assert!(
            reason(json!({"id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}))
                .contains("not an identifier of a indicator")
        );
        assert_eq!(reason(json!({"spec_version": "2.0"})), "spec_version: must be \"2.1\"");
        assert!(reason(json!({"modified": "2020-01-01T00:00:00Z"})).starts_with("modified: "));
        assert!(reason(json!({"valid_until": "2026-11-30T07:00:00Z"})).starts_with("valid_until: "));
        assert!(reason(json!({"object_marking_refs": ["tlp:amber"]})).starts_with("object_marking_refs[0]: "));
        assert!(reason(json!({"confidence": 101})).starts_with("confidence"));
        let ip = json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"});
        assert_eq!(StixObject::from_value(ip).unwrap_err(), "value: is required for ipv4-addr");
        let family = json!({"type": "malware", "spec_version": "2.1", "id": "malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
                            "created": "2026-11-30T08:00:00Z", "modified": "2026-11-30T08:00:00Z", "is_family": true});
        assert!(StixObject::from_value(family).unwrap_err().starts_with("name: "));
    }
}
