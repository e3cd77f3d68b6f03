//! Shared items as a STIX 2.1 bundle, their TLP marking travelling with each
//! object: an item that is a STIX object goes as it is (with the marking
//! added), an advisory as a course of action, a report as a report, an incident summary as an
//! incident related to its observables (as SCOs with their specification
//! ids), each owner as an identity; the TLP marking definitions used are in
//! the bundle too.

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
    if item.kind == rampart_store::SUMMARY_KIND {
        return Some(incident_of(item, identity, marking, &at));
    }
    if item.kind == "report" {
        // Its files stay behind Rampart's sign-in; the report says it has them.
        let text = item.body["text"].as_str().or(item.body["description"].as_str()).unwrap_or_default();
        return Some(json!({
            "type": "report", "spec_version": "2.1", "id": stable_id("report", &item.id), "created": at, "modified": at,
            "created_by_ref": identity, "name": item.title, "description": text, "report_types": ["threat-report"],
            "published": at, "object_refs": [identity], "object_marking_refs": [marking]
        }));
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

/// An incident summary as a STIX incident: the title, and the summary with
/// the facts its owner included.
fn incident_of(item: &SharedItem, identity: &str, marking: &str, at: &str) -> Value {
    let body = &item.body;
    let mut description = body["summary"].as_str().unwrap_or_default().to_string();
    let mut facts = Vec::new();
    if let Some(category) = body["category"].as_str() {
        facts.push(format!("category {category}"));
    }
    if let Some(severity) = body["severity"].as_u64() {
        facts.push(format!("severity {severity} of 4"));
    }
    if let Some(impact) = body["impact"].as_object() {
        let hit: Vec<&str> =
            impact.iter().filter(|(_, v)| v.as_bool() == Some(true)).map(|(k, _)| k.as_str()).collect();
        facts.push(if hit.is_empty() { "no impact recorded".into() } else { format!("{} affected", hit.join(", ")) });
    }
    for (key, label) in [("occurred_on", "occurred"), ("detected_on", "detected")] {
        if let Some(day) = body[key].as_str() {
            facts.push(format!("{label} {day}"));
        }
    }
    if !facts.is_empty() {
        description.push_str(&format!("\n\n{}.", facts.join("; ")));
    }
    json!({
        "type": "incident", "spec_version": "2.1", "id": stable_id("incident", &item.id), "created": at, "modified": at,
        "created_by_ref": identity, "name": item.title, "description": description, "object_marking_refs": [marking]
    })
}

/// The observables of an incident summary as SCOs, each with a `related-to`
/// relationship from the summary's incident.
fn observables_of(item: &SharedItem, scos: &mut BTreeMap<String, Value>, objects: &mut Vec<Value>) {
    let marking = tlp(item).marking_id();
    let at = Timestamp::from_ms(item.created_at).to_string();
    let incident = stable_id("incident", &item.id);
    for o in item.body["observables"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let (Some(kind), Some(value)) = (o["kind"].as_str(), o["value"].as_str()) else { continue };
        let Ok(kind) = rampart_domain::observable::ObservableKind::parse(kind) else { continue };
        let (sco_type, path) = rampart_store::stix_path(kind, value);
        let contributing = match path {
            [one] => json!({*one: value}),
            [outer, inner] => json!({*outer: {*inner: value}}),
            _ => continue,
        };
        let id = rampart_stix::sco_id(sco_type, &contributing);
        let mut sco = contributing;
        sco["type"] = json!(sco_type);
        sco["spec_version"] = json!("2.1");
        sco["id"] = json!(id);
        sco["object_marking_refs"] = json!([marking]);
        scos.entry(id.clone()).or_insert(sco);
        objects.push(json!({
            "type": "relationship", "spec_version": "2.1", "id": stable_id("relationship", &format!("{}:{id}", item.id)),
            "created": at, "modified": at, "relationship_type": "related-to", "source_ref": incident, "target_ref": id,
            "object_marking_refs": [marking]
        }));
    }
}

/// An organisation as a STIX identity.
fn organisation(id: &str, name: &str, at: &str) -> Value {
    json!({"type": "identity", "spec_version": "2.1", "id": id, "created": at, "modified": at, "name": name,
           "identity_class": "organization"})
}

/// The sightings of an indicator, as STIX `sighting` objects: one per
/// organisation that saw it, counting its matching observables, from the
/// first to the last time, marked as strictly as the strictest of them.
/// Each sighting organisation's identity is added to `identities`.
fn sightings_of(
    indicator: &Value,
    sightings: &[rampart_store::Sighting],
    identities: &mut BTreeMap<String, Value>,
    markings: &mut BTreeMap<&'static str, Value>,
) -> Vec<Value> {
    let Some(indicator_id) = indicator["id"].as_str() else { return Vec::new() };
    let mut by_org: BTreeMap<&str, Vec<&rampart_store::Sighting>> = BTreeMap::new();
    for s in sightings {
        by_org.entry(s.org_id.as_str()).or_default().push(s);
    }
    by_org
        .into_iter()
        .map(|(org, seen)| {
            let identity = stable_id("identity", org);
            let first = seen.iter().map(|s| s.seen_at).min().unwrap_or_default();
            let last = seen.iter().map(|s| s.seen_at).max().unwrap_or_default();
            let (first, last) = (Timestamp::from_ms(first).to_string(), Timestamp::from_ms(last).to_string());
            identities.entry(identity.clone()).or_insert_with(|| organisation(&identity, &seen[0].org_name, &first));
            let strictest = seen.iter().map(|s| s.marking).fold(rampart_domain::incident::Marking::Clear, |a, b| {
                if b.at_least(a) { b } else { a }
            });
            let t = Tlp::parse(strictest.as_str()).unwrap_or(Tlp::Red);
            markings.entry(t.marking_id()).or_insert_with(|| t.marking_definition());
            json!({
                "type": "sighting", "spec_version": "2.1", "id": stable_id("sighting", &format!("{indicator_id}:{org}")),
                "created": first, "modified": last, "created_by_ref": identity, "sighting_of_ref": indicator_id,
                "where_sighted_refs": [identity], "count": seen.len(), "first_seen": first, "last_seen": last,
                "object_marking_refs": [t.marking_id()]
            })
        })
        .collect()
}

/// The bundle of the items (those that do not become STIX objects are left
/// out), with the sightings of their indicators the reader may see, by item id.
pub fn bundle(
    items: &[SharedItem],
    sightings: &std::collections::HashMap<String, Vec<rampart_store::Sighting>>,
) -> std::io::Result<Vec<u8>> {
    let mut identities: BTreeMap<String, Value> = BTreeMap::new();
    let mut markings: BTreeMap<&'static str, Value> = BTreeMap::new();
    let mut objects = Vec::new();
    let mut scos: BTreeMap<String, Value> = BTreeMap::new();
    for item in items {
        let identity = stable_id("identity", &item.owner_org);
        let Some(object) = object_of(item, &identity) else { continue };
        let first = Timestamp::from_ms(item.created_at).to_string();
        identities.entry(identity.clone()).or_insert_with(|| organisation(&identity, &item.owner_name, &first));
        let t = tlp(item);
        markings.entry(t.marking_id()).or_insert_with(|| t.marking_definition());
        let seen = sightings.get(&item.id).map(Vec::as_slice).unwrap_or_default();
        let found = sightings_of(&object, seen, &mut identities, &mut markings);
        objects.push(object);
        objects.extend(found);
        if item.kind == rampart_store::SUMMARY_KIND {
            observables_of(item, &mut scos, &mut objects);
        }
    }
    let mut out = BundleWriter::new(Vec::new())?;
    for v in markings.values().chain(identities.values()).chain(scos.values()).chain(&objects) {
        out.object(v)?;
    }
    out.finish()
}
