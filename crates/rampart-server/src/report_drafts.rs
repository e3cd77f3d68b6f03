//! Pre-filled regulatory report drafts: the fields a report asks for
//! (`rampart_domain::regulatory_reports`) filled from what the case knows,
//! for the printable page and the JSON alike.

use rampart_domain::incident::{Determination, IncidentCategory};
use rampart_domain::regulatory_reports::{Fact, draft_fields};
use rampart_store::{IncidentDetail, IncidentLinks, Obligation};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Problem;
use crate::ui::display_time;

#[derive(Debug, Clone, Serialize)]
pub struct DraftValue {
    pub key: &'static str,
    pub label: &'static str,
    /// `None`: for the analyst to complete.
    pub value: Option<String>,
}

/// The draft of one report of an incident.
#[derive(Debug, Clone)]
pub struct Draft {
    pub obligation: Obligation,
    pub incident_id: String,
    pub incident_title: String,
    pub fields: Vec<DraftValue>,
}

impl Draft {
    pub fn to_json(&self) -> Value {
        let o = &self.obligation;
        json!({
            "incident": {"id": self.incident_id, "title": self.incident_title},
            "regime": o.regime, "obligation": o.obligation, "name": o.name,
            "due_at": o.due_at.map(crate::api::rfc3339), "state": o.state,
            "submitted_at": o.submitted_at.map(crate::api::rfc3339), "reference": o.reference,
            "fields": self.fields.iter().map(|f| json!({
                "key": f.key, "label": f.label, "value": f.value, "to_complete": f.value.is_none()
            })).collect::<Vec<_>>()
        })
    }
}

/// The draft for `regime`/`obligation`, which must be one of the incident's obligations.
pub fn draft(d: &IncidentDetail, links: &IncidentLinks, regime: &str, obligation: &str) -> Result<Draft, Problem> {
    let Some(o) = d.obligations.iter().find(|o| o.regime == regime && o.obligation == obligation) else {
        return Err(Problem::not_found());
    };
    let fields = draft_fields(regime, obligation)
        .into_iter()
        .map(|f| DraftValue { key: f.key, label: f.label, value: f.fact.and_then(|fact| fill(fact, d, links, o)) })
        .collect();
    Ok(Draft {
        obligation: o.clone(),
        incident_id: d.incident.id.clone(),
        incident_title: d.incident.fields.title.clone(),
        fields,
    })
}

/// What the case says of one fact, or `None` when it says nothing yet.
fn fill(fact: Fact, d: &IncidentDetail, links: &IncidentLinks, this: &Obligation) -> Option<String> {
    let f = &d.incident.fields;
    let some = |parts: Vec<String>| if parts.is_empty() { None } else { Some(parts.join("\n")) };
    match fact {
        Fact::Summary => Some(format!("{} ({}, severity {} of 4)", f.title, f.category, f.severity)),
        Fact::Description => Some(f.description.clone()).filter(|t| !t.is_empty()),
        Fact::Times => {
            let time = |t: Option<i64>| t.map_or_else(|| "not known".to_string(), display_time);
            Some(format!(
                "occurred {}; detected {}; aware {}; classified {}",
                time(f.occurred_at),
                time(f.detected_at),
                display_time(f.aware_at),
                time(d.incident.classified_at)
            ))
        }
        Fact::Malicious => malicious(f.category, f.determination),
        Fact::CrossBorder => {
            Some(if f.cross_border { "Yes: other countries are affected" } else { "None known" }.to_string())
        }
        Fact::Impact => {
            let mut parts = vec![format!("severity {} of 4; determination {}", f.severity, f.determination)];
            let harmed = f.harmed();
            if !harmed.is_empty() {
                parts.push(format!("{} harmed", harmed.join(", ")));
            }
            if let Some(n) = f.people_affected {
                parts.push(format!("{n} people affected"));
            }
            if let Some(c) = f.estimated_cost {
                parts.push(format!("estimated cost {c}"));
            }
            Some(parts.join("; "))
        }
        Fact::PeopleAffected => f.people_affected.map(|n| n.to_string()),
        Fact::Indicators => some(
            d.observables.iter().filter(|o| o.ioc).map(|o| format!("{} {} (TLP:{})", o.kind, o.value, o.tlp)).collect(),
        ),
        Fact::AffectedAssets => some(links.assets.iter().map(|a| a.1.clone()).collect()),
        Fact::Measures => some(
            d.timeline
                .iter()
                .filter_map(|e| match (e.kind.as_str(), &e.to_state) {
                    ("transition", Some(to)) => Some(format!(
                        "{} moved to {to}{}",
                        display_time(e.at),
                        if e.text.is_empty() { String::new() } else { format!(": {}", e.text) }
                    )),
                    ("note", _) => Some(format!("{} {}", display_time(e.at), e.text)),
                    _ => None,
                })
                .chain(d.tasks.iter().filter(|t| t.status.as_str() == "done").map(|t| format!("done: {}", t.title)))
                .collect(),
        ),
        Fact::Contact => some(
            [("owner", &f.owner), ("team", &f.team), ("reported by", &f.reporter)]
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}: {v}"))
                .collect(),
        ),
        Fact::EarlierReports => some(
            d.obligations
                .iter()
                .filter(|o| o.regime == this.regime && o.obligation != this.obligation)
                .filter_map(|o| {
                    o.submitted_at.map(|t| {
                        format!(
                            "{}: submitted {}, reference {}",
                            o.name,
                            display_time(t),
                            o.reference.as_deref().unwrap_or("none")
                        )
                    })
                })
                .collect(),
        ),
        Fact::State => Some(format!("{} since {}", d.incident.state, display_time(d.incident.state_changed_at))),
    }
}

/// Whether the category and determination point to an unlawful or malicious act.
fn malicious(category: IncidentCategory, determination: Determination) -> Option<String> {
    use IncidentCategory::*;
    let deliberate = matches!(
        category,
        AbusiveContent | MaliciousCode | InformationGathering | IntrusionAttempts | Intrusions | Fraud
    );
    match determination {
        Determination::FalsePositive => Some("No: a false positive".into()),
        _ if deliberate => Some(format!("Yes, suspected: {category} ({determination})")),
        _ => None,
    }
}
