//! Shared indicators matched against the observables of incidents.
//!
//! An indicator's STIX pattern is checked when it is shared. When it only
//! tests exact values (`[ipv4-addr:value = '…' OR …]`), those values are
//! kept as observable kinds and normal forms, so matching is a lookup both
//! ways: a new indicator finds the observables already recorded, a new
//! observable finds the indicators already shared. Other patterns are
//! matched by the pattern matcher against each observable added afterwards.
//! Either way a match is only recorded for an organisation that may see the
//! indicator, and it becomes a sighting: shown on the incident, on the
//! indicator, and to the indicator's source unless the observable is
//! TLP:RED.

use rampart_domain::Invalid;
use rampart_domain::incident::Marking;
use rampart_domain::new_id;
use rampart_domain::observable::{ObservableKind, normalise};
use rampart_stix::pattern::{ExactValue, IndexBuilder, Pattern};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::communities::visible_to_viewer;
use crate::{Result, Store};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Longest pattern accepted.
const MAX_PATTERN: usize = 64 * 1024;

/// An indicator's pattern, checked, with its exact values when it has only those.
pub(crate) struct IndicatorPattern {
    text: String,
    exact: Option<Vec<(ObservableKind, String)>>,
}

/// The STIX object type and property path of an observable of this kind.
pub fn stix_path(kind: ObservableKind, value: &str) -> (&'static str, &'static [&'static str]) {
    use ObservableKind::*;
    match kind {
        Ipv4 => ("ipv4-addr", &["value"]),
        Ipv6 => ("ipv6-addr", &["value"]),
        Cidr if value.contains(':') => ("ipv6-addr", &["value"]),
        Cidr => ("ipv4-addr", &["value"]),
        Domain => ("domain-name", &["value"]),
        Url => ("url", &["value"]),
        Email => ("email-addr", &["value"]),
        Md5 => ("file", &["hashes", "MD5"]),
        Sha1 => ("file", &["hashes", "SHA-1"]),
        Sha256 => ("file", &["hashes", "SHA-256"]),
        FileName => ("file", &["name"]),
        RegistryKey => ("windows-registry-key", &["key"]),
        UserAccount => ("user-account", &["account_login"]),
    }
}

/// The observable an exact value of a pattern would be recorded as.
fn observable_of(exact: &ExactValue) -> Option<(ObservableKind, String)> {
    use ObservableKind::*;
    let path: Vec<&str> = exact.path.iter().map(String::as_str).collect();
    let range = exact.value.contains('/');
    let kind = match (exact.object_type.as_str(), path.as_slice()) {
        ("ipv4-addr", ["value"]) | ("ipv6-addr", ["value"]) if range => Cidr,
        ("ipv4-addr", ["value"]) => Ipv4,
        ("ipv6-addr", ["value"]) => Ipv6,
        ("domain-name", ["value"]) => Domain,
        ("url", ["value"]) => Url,
        ("email-addr", ["value"]) => Email,
        ("file", ["hashes", algorithm]) => match algorithm.to_ascii_uppercase().replace('-', "").as_str() {
            "MD5" => Md5,
            "SHA1" => Sha1,
            "SHA256" => Sha256,
            _ => return None,
        },
        ("file", ["name"]) => FileName,
        ("windows-registry-key", ["key"]) => RegistryKey,
        ("user-account", ["account_login"]) => UserAccount,
        _ => return None,
    };
    Some((kind, normalise(kind, &exact.value).ok()?))
}

/// Checks the pattern of an indicator's body (a STIX indicator object).
pub(crate) fn indicator_pattern(body: &Value) -> Result<IndicatorPattern> {
    let Some(text) = body.get("pattern").and_then(Value::as_str) else {
        return Err(Invalid::new(
            "body.pattern",
            "an indicator needs a STIX pattern, such as [ipv4-addr:value = '203.0.113.7']",
        )
        .into());
    };
    match body.get("pattern_type").and_then(Value::as_str) {
        None | Some("stix") => {}
        Some(other) => {
            return Err(
                Invalid::new("body.pattern_type", format!("Rampart matches STIX patterns only, not {other}")).into()
            );
        }
    }
    if text.len() > MAX_PATTERN {
        return Err(Invalid::new("body.pattern", format!("must be at most {MAX_PATTERN} bytes")).into());
    }
    let pattern = Pattern::validate(text).map_err(|e| Invalid::new("body.pattern", e.to_string()))?;
    pattern.compile().map_err(|e| Invalid::new("body.pattern", e.to_string()))?;
    // Exact only if every value it tests is an observable Rampart records.
    let exact = pattern.exact_values().and_then(|values| values.iter().map(observable_of).collect::<Option<Vec<_>>>());
    Ok(IndicatorPattern { text: text.to_string(), exact })
}

/// Keeps a newly shared indicator's pattern and records the sightings of
/// the observables already there, for the organisations that may see it.
pub(crate) async fn record_indicator(tx: &mut Tx, item_id: &str, pattern: &IndicatorPattern) -> Result<()> {
    sqlx::query("INSERT INTO indicator_patterns (item_id, pattern, exact) VALUES ($1, $2, $3)")
        .bind(item_id)
        .bind(&pattern.text)
        .bind(i64::from(pattern.exact.is_some()))
        .execute(&mut **tx)
        .await?;
    let Some(values) = &pattern.exact else { return Ok(()) };
    let mut seen = std::collections::BTreeSet::new();
    for (kind, value) in values {
        if seen.insert((kind.as_str(), value.as_str())) {
            sqlx::query("INSERT INTO indicator_values (item_id, kind, value) VALUES ($1, $2, $3)")
                .bind(item_id)
                .bind(kind.as_str())
                .bind(value)
                .execute(&mut **tx)
                .await?;
        }
    }
    let rows = sqlx::query(
        "SELECT o.id, o.org_id, o.incident_id, o.added_at FROM observables o \
         JOIN indicator_values v ON v.kind = o.kind AND v.value = o.value WHERE v.item_id = $1",
    )
    .bind(item_id)
    .fetch_all(&mut **tx)
    .await?;
    let visible = format!("SELECT COUNT(*) FROM shared_items i WHERE {} AND i.id = $2", visible_to_viewer());
    for row in rows {
        let org: String = row.try_get("org_id")?;
        let may_see: i64 = sqlx::query_scalar(&visible).bind(&org).bind(item_id).fetch_one(&mut **tx).await?;
        if may_see > 0 {
            let (observable, incident): (String, String) = (row.try_get("id")?, row.try_get("incident_id")?);
            insert(tx, item_id, &org, &observable, &incident, row.try_get("added_at")?).await?;
        }
    }
    Ok(())
}

/// Records the sightings a newly added observable makes of the indicators
/// `org` may see. Returns how many.
pub(crate) async fn sight_observable(
    tx: &mut Tx,
    org: &str,
    observable: (&str, &str),
    kind: ObservableKind,
    value: &str,
    at: i64,
) -> Result<usize> {
    let (observable_id, incident_id) = observable;
    let visible = visible_to_viewer();
    let mut items: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT i.id FROM shared_items i JOIN indicator_values v ON v.item_id = i.id \
         WHERE v.kind = $2 AND v.value = $3 AND {visible}"
    ))
    .bind(org)
    .bind(kind.as_str())
    .bind(value)
    .fetch_all(&mut **tx)
    .await?;
    let general = sqlx::query(&format!(
        "SELECT i.id, p.pattern FROM shared_items i JOIN indicator_patterns p ON p.item_id = i.id WHERE p.exact = 0 AND {visible}"
    ))
    .bind(org)
    .fetch_all(&mut **tx)
    .await?;
    if !general.is_empty() {
        let mut builder = IndexBuilder::new(true);
        let mut ids = Vec::new();
        for row in &general {
            let text: String = row.try_get("pattern")?;
            // Checked when shared; one that no longer compiles matches nothing.
            if let Ok(pattern) = Pattern::parse(&text)
                && builder.add(&pattern).is_ok()
            {
                ids.push(row.try_get::<String, _>("id")?);
            }
        }
        let (object_type, path) = stix_path(kind, value);
        // A pattern the observable cannot be evaluated against (say, a
        // timestamp comparison on a string) simply does not match it.
        if let Ok(index) = builder.build()
            && let Ok(matched) = index.match_observable(object_type, path, value)
        {
            items.extend(matched.into_iter().map(|n| ids[n].clone()));
        }
    }
    for item in &items {
        insert(tx, item, org, observable_id, incident_id, at).await?;
    }
    Ok(items.len())
}

async fn insert(tx: &mut Tx, item: &str, org: &str, observable: &str, incident: &str, seen_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO sightings (id, item_id, org_id, observable_id, incident_id, seen_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (item_id, observable_id) DO NOTHING",
    )
    .bind(new_id())
    .bind(item)
    .bind(org)
    .bind(observable)
    .bind(incident)
    .bind(seen_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An indicator matched by an observable of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    pub item_id: String,
    pub item_title: String,
    pub item_owner: String,
    pub item_marking: Marking,
    /// The organisation whose observable matched.
    pub org_id: String,
    pub org_name: String,
    /// Only for the organisation's own sightings.
    pub incident_id: Option<String>,
    pub kind: ObservableKind,
    pub value: String,
    /// The observable's marking.
    pub marking: Marking,
    pub seen_at: i64,
}

const SIGHTINGS: &str = "SELECT s.*, i.title AS item_title, i.tlp AS item_tlp, io.name AS item_owner, so.name AS org_name, \
     o.kind, o.value, o.tlp AS observable_tlp FROM sightings s \
     JOIN shared_items i ON i.id = s.item_id JOIN organisations io ON io.id = i.owner_org \
     JOIN organisations so ON so.id = s.org_id JOIN observables o ON o.id = s.observable_id";

fn sighting_from(r: &AnyRow, viewer: &str) -> Result<Sighting> {
    let org_id: String = r.try_get("org_id")?;
    Ok(Sighting {
        item_id: r.try_get("item_id")?,
        item_title: r.try_get("item_title")?,
        item_owner: r.try_get("item_owner")?,
        item_marking: Marking::parse(&r.try_get::<String, _>("item_tlp")?)?,
        org_name: r.try_get("org_name")?,
        incident_id: if org_id == viewer { Some(r.try_get("incident_id")?) } else { None },
        org_id,
        kind: ObservableKind::parse(&r.try_get::<String, _>("kind")?)?,
        value: r.try_get("value")?,
        marking: Marking::parse(&r.try_get::<String, _>("observable_tlp")?)?,
        seen_at: r.try_get("seen_at")?,
    })
}

impl Store {
    /// The sightings of an indicator `viewer` may see: its own, and, for the
    /// indicator's source, every other organisation's whose observable is
    /// not TLP:RED. Newest first.
    pub async fn sightings_of_item(&self, viewer: &str, item_id: &str) -> Result<Vec<Sighting>> {
        let item = self.shared_item(viewer, item_id).await?;
        let owner = item.owner_org == viewer;
        let rows = sqlx::query(&format!(
            "{SIGHTINGS} WHERE s.item_id = $1 AND (s.org_id = $2 OR ($3 = 1 AND o.tlp <> 'red')) ORDER BY s.seen_at DESC, s.id"
        ))
        .bind(item_id)
        .bind(viewer)
        .bind(i64::from(owner))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| sighting_from(r, viewer)).collect()
    }

    /// The indicators the observables of one of `org`'s incidents matched,
    /// among those it may still see.
    pub async fn sightings_in_incident(&self, org: &str, incident_id: &str) -> Result<Vec<Sighting>> {
        let rows = sqlx::query(&format!(
            "{SIGHTINGS} WHERE s.org_id = $1 AND s.incident_id = $2 AND {} ORDER BY s.seen_at DESC, s.id",
            visible_to_viewer()
        ))
        .bind(org)
        .bind(incident_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| sighting_from(r, org)).collect()
    }
}
