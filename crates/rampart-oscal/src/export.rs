//! An assessment written as OSCAL 1.1: assessment results (one result with
//! an observation per answered requirement and a finding per assessed one)
//! and a plan of action and milestones for the open findings.
//!
//! UUIDs are version 5, derived from Rampart's ids, so the same assessment
//! exports with the same UUIDs every time and tools can follow it across
//! exports.

use serde_json::{Value, json};

/// The OSCAL version written.
pub const OSCAL_VERSION: &str = "1.1.2";

/// What an export needs of an assessment.
#[derive(Debug, Clone)]
pub struct AssessmentExport {
    pub assessment_id: String,
    pub title: String,
    pub description: String,
    pub organisation: String,
    pub framework: String,
    pub framework_urn: String,
    pub status: String,
    /// RFC 3339 times.
    pub started: String,
    pub last_modified: String,
    pub requirements: Vec<ExportedRequirement>,
}

/// One counted requirement with its answer.
#[derive(Debug, Clone)]
pub struct ExportedRequirement {
    pub node_id: String,
    /// The control's OSCAL id when the framework came from OSCAL, else its ref id.
    pub control_id: String,
    pub title: String,
    pub statement: String,
    /// `not-assessed`, `compliant`, `partially-compliant`, `non-compliant`, `not-applicable`.
    pub result: String,
    pub observation: String,
    pub justification: String,
    pub owner: String,
    pub score: Option<i32>,
    pub target: Option<i32>,
    /// RFC 3339 time of the answer.
    pub answered_at: Option<String>,
    pub controls: Vec<String>,
}

/// Rampart's namespace for the few properties OSCAL has no name for.
const NS: &str = "https://rampart.invalid/ns/oscal";

fn uuid(kind: &str, id: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("rampart:{kind}:{id}").as_bytes()).to_string()
}

/// An OSCAL token (letters, digits, `.`, `-`, `_`, starting with a letter or
/// `_`): `5.1` becomes `_5.1`, `AC-2(1)` becomes `AC-2_1_`.
pub fn token(text: &str) -> String {
    let mut out: String =
        text.chars().map(|c| if c.is_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

fn metadata(e: &AssessmentExport, what: &str) -> Value {
    json!({
        "title": format!("{what}: {}", e.title),
        "last-modified": e.last_modified,
        "version": e.status,
        "oscal-version": OSCAL_VERSION,
        "parties": [{"uuid": uuid("organisation", &e.organisation), "type": "organization", "name": e.organisation}],
        "remarks": format!("Exported by Rampart from the assessment of {} ({}).", e.framework, e.framework_urn)
    })
}

fn observation(e: &AssessmentExport, r: &ExportedRequirement) -> Value {
    let mut description = format!("{} {}: {}.", r.control_id, r.title, r.result.replace('-', " "));
    for (label, text) in [("Observation", &r.observation), ("Justification", &r.justification), ("Owner", &r.owner)] {
        if !text.is_empty() {
            description.push_str(&format!("\n\n{label}: {text}"));
        }
    }
    if !r.controls.is_empty() {
        description.push_str(&format!("\n\nImplemented by: {}", r.controls.join("; ")));
    }
    let mut props = vec![json!({"name": "result", "ns": NS, "value": r.result})];
    if let Some(score) = r.score {
        props.push(json!({"name": "score", "ns": NS, "value": score.to_string()}));
    }
    if let Some(target) = r.target {
        props.push(json!({"name": "target-score", "ns": NS, "value": target.to_string()}));
    }
    json!({
        "uuid": uuid("observation", &format!("{}:{}", e.assessment_id, r.node_id)),
        "title": format!("{} {}", r.control_id, r.title),
        "description": description,
        "props": props,
        "methods": ["EXAMINE"],
        "collected": r.answered_at.as_deref().unwrap_or(&e.last_modified)
    })
}

fn answered(r: &ExportedRequirement) -> bool {
    r.result != "not-assessed"
}

/// The assessment as an OSCAL assessment-results document.
pub fn assessment_results(e: &AssessmentExport) -> Value {
    let observations: Vec<Value> = e.requirements.iter().filter(|r| answered(r)).map(|r| observation(e, r)).collect();
    let findings: Vec<Value> = e
        .requirements
        .iter()
        .filter(|r| answered(r) && r.result != "not-applicable")
        .map(|r| {
            let satisfied = r.result == "compliant";
            let mut status = json!({"state": if satisfied { "satisfied" } else { "not-satisfied" }});
            if !satisfied {
                status["reason"] = json!(r.result);
            }
            json!({
                "uuid": uuid("finding", &format!("{}:{}", e.assessment_id, r.node_id)),
                "title": format!("{} {}", r.control_id, r.title),
                "description": if r.statement.is_empty() { r.title.clone() } else { r.statement.clone() },
                "target": {"type": "objective-id", "target-id": token(&r.control_id), "status": status},
                "related-observations": [{"observation-uuid": uuid("observation", &format!("{}:{}", e.assessment_id, r.node_id))}]
            })
        })
        .collect();
    let reviewed: Vec<Value> = e.requirements.iter().map(|r| json!({"control-id": token(&r.control_id)})).collect();
    let mut result = json!({
        "uuid": uuid("result", &e.assessment_id),
        "title": e.title,
        "description": if e.description.is_empty() { format!("Assessment of {}", e.framework) } else { e.description.clone() },
        "start": e.started,
        "reviewed-controls": {"control-selections": [{"include-controls": reviewed}]},
    });
    if e.status == "done" {
        result["end"] = json!(e.last_modified);
    }
    if !observations.is_empty() {
        result["observations"] = json!(observations);
    }
    if !findings.is_empty() {
        result["findings"] = json!(findings);
    }
    json!({"assessment-results": {
        "uuid": uuid("assessment-results", &e.assessment_id),
        "metadata": metadata(e, "Assessment results"),
        "import-ap": {"href": format!("urn:rampart:assessment:{}", e.assessment_id)},
        "results": [result]
    }})
}

/// The open findings (partially compliant, non-compliant and not yet
/// assessed requirements) as an OSCAL plan of action and milestones.
pub fn poam(e: &AssessmentExport) -> Value {
    let open: Vec<&ExportedRequirement> = e
        .requirements
        .iter()
        .filter(|r| matches!(r.result.as_str(), "partially-compliant" | "non-compliant" | "not-assessed"))
        .collect();
    let observations: Vec<Value> = open.iter().filter(|r| answered(r)).map(|r| observation(e, r)).collect();
    let items: Vec<Value> = open
        .iter()
        .map(|r| {
            let mut item = json!({
                "uuid": uuid("poam-item", &format!("{}:{}", e.assessment_id, r.node_id)),
                "title": format!("{} {}", r.control_id, r.title),
                "description": match r.result.as_str() {
                    "not-assessed" => format!("Not assessed yet. {}", r.statement),
                    _ if !r.observation.is_empty() => r.observation.clone(),
                    _ => format!("{}: {}", r.result.replace('-', " "), r.statement),
                }
            });
            if answered(r) {
                item["related-observations"] =
                    json!([{"observation-uuid": uuid("observation", &format!("{}:{}", e.assessment_id, r.node_id))}]);
            }
            if !r.owner.is_empty() {
                item["remarks"] = json!(format!("Owner: {}", r.owner));
            }
            item
        })
        .collect();
    let mut doc = json!({
        "uuid": uuid("poam", &e.assessment_id),
        "metadata": metadata(e, "Plan of action and milestones"),
        "poam-items": items
    });
    if !observations.is_empty() {
        doc["observations"] = json!(observations);
    }
    json!({"plan-of-action-and-milestones": doc})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_valid_oscal_tokens() {
        assert_eq!(token("IP.1"), "IP.1");
        assert_eq!(token("5.1"), "_5.1");
        assert_eq!(token("AC-2(1)"), "AC-2_1_");
    }

    #[test]
    fn uuids_are_stable_version_5() {
        let a = uuid("finding", "x");
        assert_eq!(a, uuid("finding", "x"));
        assert_eq!(a.as_bytes()[14], b'5');
    }
}
