//! Shared items as a STIX 2.1 bundle, their TLP marking travelling with each
//! object: an item that is a STIX object goes as it is (with the marking
//! added), an advisory as a course of action, each owner as an identity; the
//! TLP marking definitions used are in the bundle too.

use std::collections::BTreeMap;

use rampart_domain::sharing::Advisory;
use rampart_stix::{BundleWriter, StixObject, Timestamp, Tlp, stable_id};
use rampart_store::SharedItem;
use serde_json::{Value, json};

fn tlp(item: &SharedItem) -> Tlp {
    Tlp::parse(item.marking.as_str()).unwrap_or(Tlp::Red)
}

/// The STIX object an item becomes, if it becomes one.
fn object_of(item: &SharedItem, identity: &str) -> Option<Value> {
    let marking = tlp(item).marking_id();
    let at = Timestamp::from_ms(item.created_at).to_string();
    if let Ok(object) = StixObject::from_value(item.body.clone()) {
        let mut v = object.to_value();
        let refs = v["object_marking_refs"].as_array().cloned().unwrap_or_default();
        if !refs.iter().any(|r| r == marking) {
            let mut refs = refs;
            refs.push(json!(marking));
            v["object_marking_refs"] = json!(refs);
        }
        return Some(v);
    }
    if item.kind != "advisory" {
        return None;
    }
    let advisory: Advisory = serde_json::from_value(item.body.clone()).ok()?;
    let mut description = format!("Severity {}. {}", advisory.severity, advisory.actions);
    if !advisory.affected.is_empty() {
        description.push_str(&format!("\n\nAffected: {}", advisory.affected.join("; ")));
    }
    let mut coa = json!({
        "type": "course-of-action", "spec_version": "2.1", "id": stable_id("course-of-action", &item.id),
        "created": at, "modified": at, "created_by_ref": identity, "name": item.title, "description": description,
        "object_marking_refs": [marking]
    });
    if !advisory.references.is_empty() {
        coa["external_references"] =
            json!(advisory.references.iter().map(|u| json!({"source_name": "advisory", "url": u})).collect::<Vec<_>>());
    }
    Some(coa)
}

/// The bundle of the items (those that do not become STIX objects are left out).
pub fn bundle(items: &[SharedItem]) -> std::io::Result<Vec<u8>> {
    let mut identities: BTreeMap<String, Value> = BTreeMap::new();
    let mut markings: BTreeMap<&'static str, Value> = BTreeMap::new();
    let mut objects = Vec::new();
    for item in items {
        let identity = stable_id("identity", &item.owner_org);
        let Some(object) = object_of(item, &identity) else { continue };
        let first = Timestamp::from_ms(item.created_at).to_string();
        identities.entry(identity.clone()).or_insert_with(|| {
            json!({"type": "identity", "spec_version": "2.1", "id": identity, "created": first, "modified": first,
                   "name": item.owner_name, "identity_class": "organization"})
        });
        let t = tlp(item);
        markings.entry(t.marking_id()).or_insert_with(|| t.marking_definition());
        objects.push(object);
    }
    let mut out = BundleWriter::new(Vec::new())?;
    for v in markings.values().chain(identities.values()).chain(&objects) {
        out.object(v)?;
    }
    out.finish()
}
