//! The incident pillar's operations and schemas.

use serde_json::{Value, json};

use super::{Operation, object, op, page_of, string, time};

pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/incidents",
        "Incidents, newest first, filtered by state, category, severity and open (neither dismissed nor closed).",
        "read",
        None,
        &[(200, "IncidentPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/incidents",
        "Record a reported incident; title, severity (1–4), category (ENISA taxonomy) and aware_at are required; regimes (nis2, gdpr, dora, or the organisation's own) start their reporting clocks.",
        "edit",
        Some("NewIncident"),
        &[(201, "IncidentDetail"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incidents/{id}",
        "An incident with its obligations (due times and states now), observables with their correlations, and timeline.",
        "read",
        None,
        &[(200, "IncidentDetail"), (404, "Problem")],
        false,
    ),
    op(
        "put",
        "/api/v1/incidents/{id}",
        "Replace what is known of an incident (fields, impact, regimes; the body of a new incident) as triage learns more; its state is unchanged.",
        "edit",
        Some("NewIncident"),
        &[(200, "IncidentDetail"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incidents/{id}/export",
        "The incident and everything about it as a JSON download.",
        "read",
        None,
        &[(200, ""), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/transitions",
        "Move along the ISO/IEC 27035 lifecycle: reported → triage → dismissed (with a reason) or containment → eradication → recovery → lessons-learned → closed; dismissed and closed reopen into triage with a reason. An illegal move answers 409 with `allowed`.",
        "edit",
        Some("Transition"),
        &[(200, "IncidentDetail"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/observables",
        "Add an observable, checked and normalised for its type; the same one twice answers 409.",
        "edit",
        Some("NewObservable"),
        &[(201, "Observable"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/notes",
        "Add a note to the timeline, optionally tagged with an ATT&CK tactic and technique, and dated when it happened (`at`, any offset, kept in UTC; the timeline is in that order).",
        "comment",
        Some("Note"),
        &[(204, ""), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/submissions",
        "Record that a regime's report was submitted, with the authority's reference.",
        "edit",
        Some("Submission"),
        &[(204, ""), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/regulatory-rules",
        "The reporting rules: the built-in NIS2, GDPR and DORA ones and the organisation's.",
        "read",
        None,
        &[(200, "RuleList")],
        false,
    ),
    op(
        "post",
        "/api/v1/regulatory-rules",
        "Add a reporting rule (anchor aware, classified or after:OBLIGATION, plus minutes; optionally a second, binding deadline).",
        "admin",
        Some("Rule"),
        &[(201, ""), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/regulatory-rules/{regime}/{obligation}",
        "Remove one of the organisation's own reporting rules (a built-in one answers 409); reports already submitted under it are kept.",
        "admin",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incident-deadlines",
        "Every open reporting obligation of the organisation's incidents, soonest due first, with its state now.",
        "read",
        None,
        &[(200, "DeadlineList")],
        false,
    ),
    op(
        "get",
        "/api/v1/incident-metrics",
        "Mean time to detect, acknowledge, contain and resolve, per month of awareness, as JSON or CSV.",
        "read",
        None,
        &[(200, "MetricsList")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/tasks",
        "Add a task, optionally due at a time and assigned to a member.",
        "edit",
        Some("NewTask"),
        &[(201, "Task"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/incident-tasks/{id}",
        "Change a task's status or assignee (null unassigns).",
        "edit",
        Some("TaskChange"),
        &[(200, "Task"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/case-templates",
        "The case templates, one per incident category.",
        "read",
        None,
        &[(200, "TemplateList")],
        false,
    ),
    op(
        "put",
        "/api/v1/case-templates/{category}",
        "Set the tasks that incidents of a category start with, each due some hours after awareness.",
        "admin",
        Some("Template"),
        &[(204, ""), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/case-templates/{category}",
        "Remove a category's case template.",
        "admin",
        None,
        &[(204, ""), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incidents/{id}/links",
        "The incident's affected assets, related incidents and lessons-learned follow-ups.",
        "read",
        None,
        &[(200, "IncidentLinks"), (404, "Problem")],
        false,
    ),
    op(
        "put",
        "/api/v1/incidents/{id}/{kind}/{other}",
        "Link an affected asset (kind `assets`) or a related incident (kind `related`; relations go both ways).",
        "edit",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/incidents/{id}/{kind}/{other}",
        "Remove an affected asset or a related incident.",
        "edit",
        None,
        &[(204, ""), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/follow-ups",
        "Record a lessons-learned follow-up: re-evaluate a risk scenario (kind `risk`) or fix an applied control (kind `control`).",
        "edit",
        Some("NewFollowUp"),
        &[(201, "FollowUp"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/regimes",
        "Apply one more regime (typically one of `suggested_regimes`, which the impact suggests); its clocks start. One that already applies is left as it is.",
        "edit",
        Some("ApplyRegime"),
        &[(200, "IncidentDetail"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/merge",
        "Merge incident `from` into this one (two cases that are one): this one takes its timeline (entries keep their `origin`), observables (once each, flags of either), tasks, evidence, regimes, submissions, assets, relations and follow-ups, the earliest of their times and the higher severity; `from` stays with `merged_into` set and leaves lists. A merged incident answers 409.",
        "edit",
        Some("Merge"),
        &[(200, "IncidentDetail"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incidents/{id}/reports/{regime}/{obligation}",
        "The pre-filled draft of one of the incident's reports: the fields the regime asks of it, filled from the case; `to_complete` marks what only the analyst can say.",
        "read",
        None,
        &[(200, "ReportDraft"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/evidence",
        "Add an evidence file: the body is the file (Content-Type kept), stored content-addressed by SHA-256, at most 25 MiB unless the server sets --evidence-max-bytes (413 before the body is read). Starts the file's chain of custody and a timeline entry.",
        "edit",
        Some("FileUpload"),
        &[(201, "IncidentEvidence"), (404, "Problem"), (413, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incident-evidence/{id}",
        "A piece of incident evidence with its chain of custody and current holder.",
        "read",
        None,
        &[(200, "IncidentEvidence"), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incident-evidence/{id}/download",
        "The evidence file as an attachment; every download joins the chain of custody and the audit trail.",
        "read",
        None,
        &[(200, ""), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incident-evidence/{id}/hand-overs",
        "Hand the evidence over to a new holder (a person, a lab, a locker), with a note.",
        "edit",
        Some("HandOver"),
        &[(200, "IncidentEvidence"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incident-evidence/{id}/verify",
        "Hash the stored file again: `matches` says whether it still has the SHA-256 it was acquired with; the check (verified or mismatch) joins the chain of custody.",
        "read",
        None,
        &[(200, "EvidenceCheck"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incident-follow-ups/{id}/done",
        "Mark a follow-up done.",
        "edit",
        None,
        &[(204, ""), (404, "Problem")],
        false,
    ),
];

pub fn parameters(op: &Operation) -> Vec<Value> {
    if op.path == "/api/v1/incident-metrics" {
        return vec![
            json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}),
        ];
    }
    if op.path == "/api/v1/incidents" && op.method == "get" {
        return vec![
            json!({"name": "state", "in": "query", "schema": states()}),
            json!({"name": "category", "in": "query", "schema": string()}),
            json!({"name": "severity", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 4}}),
            json!({"name": "open", "in": "query", "schema": {"type": "boolean"}}),
        ];
    }
    if op.path == "/api/v1/incidents/{id}/evidence" {
        return vec![
            json!({"name": "name", "in": "query", "required": true, "schema": string(), "description": "The file's name"}),
            json!({"name": "description", "in": "query", "schema": string()}),
            json!({"name": "acquired_at", "in": "query", "schema": time(), "description": "When the evidence was acquired; now when absent"}),
            json!({"name": "acquired_by", "in": "query", "schema": string(), "description": "Who or what acquired it; the uploader when absent"}),
        ];
    }
    Vec::new()
}

fn states() -> Value {
    json!({"type": "string", "enum": ["reported", "triage", "dismissed", "containment", "eradication", "recovery", "lessons-learned", "closed"]})
}

fn tasks() -> Value {
    json!({"type": "string", "enum": ["to-do", "in-progress", "done", "cancelled"]})
}

fn markings() -> Value {
    json!({"type": "string", "enum": ["clear", "green", "amber", "amber+strict", "red"]})
}

/// Evidence files and their chain of custody (apart from the rest: one
/// `json!` cannot hold them all).
fn evidence_schemas() -> Value {
    json!({
        "IncidentEvidence": object(&["id", "incident_id", "name", "sha256", "size", "acquired_at", "acquired_by", "holder", "custody"], json!({
            "id": string(), "incident_id": string(), "name": string(), "description": string(),
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "size": {"type": "integer"}, "content_type": string(),
            "acquired_at": time(), "acquired_by": string(), "added_by": string(), "added_at": time(),
            "holder": {"type": "string", "description": "Who holds the evidence now"},
            "custody": {"type": "array", "items": object(&["at", "actor", "action", "holder"], json!({
                "at": time(), "actor": string(),
                "action": {"type": "string", "enum": ["acquired", "downloaded", "handed-over", "verified", "mismatch"]},
                "holder": string(), "note": string()
            }))}
        })),
        "Merge": object(&["from"], json!({"from": {"type": "string", "description": "The incident to merge into this one"}})),
        "ApplyRegime": object(&["regime"], json!({"regime": string()})),
        "ReportDraft": object(&["incident", "regime", "obligation", "name", "state", "fields", "prepared_at"], json!({
            "incident": object(&["id", "title"], json!({"id": string(), "title": string()})),
            "regime": string(), "obligation": string(), "name": string(), "due_at": {"type": ["string", "null"], "format": "date-time"},
            "state": {"type": "string", "enum": ["pending", "due-soon", "overdue", "submitted"]},
            "submitted_at": {"type": ["string", "null"], "format": "date-time"}, "reference": {"type": ["string", "null"]},
            "fields": {"type": "array", "items": object(&["key", "label", "value", "to_complete"], json!({
                "key": string(), "label": string(), "value": {"type": ["string", "null"]}, "to_complete": {"type": "boolean"}
            }))},
            "prepared_at": time()
        })),
        "HandOver": object(&["to"], json!({"to": {"type": "string", "maxLength": 120}, "note": {"type": "string", "maxLength": 2000}})),
        "EvidenceCheck": object(&["matches", "evidence"], json!({"matches": {"type": "boolean"}, "evidence": {"$ref": "#/components/schemas/IncidentEvidence"}})),
    })
}

pub fn schemas() -> Value {
    let categories = json!({"type": "string", "enum": ["abusive-content", "malicious-code", "information-gathering", "intrusion-attempts", "intrusions", "availability", "information-content-security", "fraud", "vulnerable", "other"]});
    let kinds = json!({"type": "string", "enum": ["ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "file-name", "registry-key", "user-account"]});
    let incident = json!({
        "id": string(), "title": string(), "description": string(), "category": categories, "severity": {"type": "integer"},
        "tlp": markings(), "pap": markings(), "determination": string(), "impact": {"type": "object"},
        "reporter": string(), "owner": string(), "team": string(),
        "occurred_at": {"type": ["string", "null"], "format": "date-time"}, "detected_at": {"type": ["string", "null"], "format": "date-time"},
        "aware_at": time(), "classified_at": {"type": ["string", "null"], "format": "date-time"},
        "state": states(), "next_states": {"type": "array", "items": states()}, "state_changed_at": time(),
        "created_by": string(), "created_at": time(), "updated_at": time(),
        "merged_into": {"type": ["string", "null"], "description": "The incident this one was merged into"}
    });
    let mut detail = incident.clone();
    detail["regimes"] = json!({"type": "array", "items": string()});
    detail["suggested_regimes"] = json!({"type": "array", "items": object(&["regime", "reason"], json!({"regime": string(), "reason": string()})), "description": "Built-in regimes the impact suggests that do not apply yet"});
    detail["obligations"] = json!({"type": "array", "items": object(&["regime", "obligation", "name", "due_at", "state"], json!({
        "regime": string(), "obligation": string(), "name": string(), "due_at": {"type": ["string", "null"], "format": "date-time"},
        "state": {"type": "string", "enum": ["pending", "due-soon", "overdue", "submitted"]},
        "submitted_at": {"type": ["string", "null"], "format": "date-time"}, "reference": {"type": ["string", "null"]}
    }))});
    detail["observables"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Observable"}});
    detail["tasks"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Task"}});
    detail["evidence"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/IncidentEvidence"}});
    detail["timeline"] = json!({"type": "array", "items": object(&["at", "actor", "kind", "text"], json!({
        "at": time(), "actor": string(), "kind": {"type": "string", "enum": ["created", "updated", "transition", "note", "observable", "evidence", "submission", "merged"]},
        "from_state": {"type": ["string", "null"]}, "to_state": {"type": ["string", "null"]}, "text": string(),
        "tactic": {"type": ["string", "null"]}, "technique": {"type": ["string", "null"]},
        "origin": {"type": ["string", "null"], "description": "The title of the incident the entry came from, when merged in"}
    }))});
    let mut all = json!({
        "Incident": object(&["id", "title", "category", "severity", "state", "aware_at"], incident),
        "IncidentPage": page_of("Incident"),
        "IncidentDetail": object(&["id", "title", "state", "obligations", "observables", "timeline"], detail),
        "NewIncident": object(&["title", "severity", "category", "aware_at"], json!({
            "title": {"type": "string", "maxLength": 120}, "severity": {"type": "integer", "minimum": 1, "maximum": 4},
            "category": categories, "aware_at": time(), "regimes": {"type": "array", "items": string()},
            "description": string(), "tlp": markings(), "pap": markings(),
            "determination": {"type": "string", "enum": ["suspected", "successful-attempt", "failed-attempt", "blocked", "false-positive", "low-value"]},
            "confidentiality": {"type": "boolean"}, "integrity": {"type": "boolean"}, "availability": {"type": "boolean"},
            "estimated_cost": {"type": "integer"}, "people_affected": {"type": "integer"}, "cross_border": {"type": "boolean"},
            "reporter": string(), "owner": string(), "team": string(), "occurred_at": time(), "detected_at": time()
        })),
        "Transition": object(&["to"], json!({"to": states(), "reason": {"type": "string", "description": "Required to dismiss and to reopen"}})),
        "NewObservable": object(&["type", "value"], json!({"type": kinds, "value": string(), "ioc": {"type": "boolean"}, "sighted": {"type": "boolean"}, "tlp": markings()})),
        "Observable": object(&["id", "type", "value"], json!({
            "id": string(), "type": kinds, "value": {"type": "string", "description": "Normalised"}, "ioc": {"type": "boolean"},
            "sighted": {"type": "boolean"}, "tlp": markings(), "added_at": time(),
            "seen_in": {"type": "array", "items": object(&["id", "title"], json!({"id": string(), "title": string()})), "description": "Other incidents of the organisation with the same observable"}
        })),
        "Note": object(&["text"], json!({"text": {"type": "string", "maxLength": 8000}, "tactic": string(), "technique": string(), "at": {"type": "string", "format": "date-time", "description": "When it happened, with any UTC offset; now when absent; never in the future"}})),
        "Submission": object(&["regime", "obligation"], json!({"regime": string(), "obligation": string(), "reference": string()})),
        "Rule": object(&["regime", "obligation", "name", "anchor", "offset_minutes"], json!({
            "regime": string(), "obligation": string(), "name": string(), "anchor": {"type": "string", "description": "aware, classified or after:OBLIGATION"},
            "offset_minutes": {"type": "integer"}, "latest_anchor": string(), "latest_offset_minutes": {"type": "integer"}
        })),
        "DeadlineList": {"type": "array", "items": object(&["incident", "regime", "obligation", "name", "due_at", "state"], json!({
            "incident": object(&["id", "title"], json!({"id": string(), "title": string()})), "severity": {"type": "integer"},
            "incident_state": states(), "regime": string(), "obligation": string(), "name": string(),
            "due_at": {"type": ["string", "null"], "format": "date-time"}, "state": {"type": "string", "enum": ["pending", "due-soon", "overdue"]}
        }))},
        "MetricsList": {"type": "array", "items": object(&["month", "incidents"], json!({
            "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "incidents": {"type": "integer"},
            "mttd_hours": {"type": ["number", "null"]}, "mtta_hours": {"type": ["number", "null"]},
            "mttc_hours": {"type": ["number", "null"]}, "mttr_hours": {"type": ["number", "null"]},
            "severity_1": {"type": "integer"}, "severity_2": {"type": "integer"}, "severity_3": {"type": "integer"}, "severity_4": {"type": "integer"},
            "by_category": {"type": "object", "additionalProperties": {"type": "integer"}}
        }))},
        "NewTask": object(&["title"], json!({"title": {"type": "string", "maxLength": 120}, "due_at": time(), "assignee_id": string()})),
        "TaskChange": object(&[], json!({"status": tasks(), "assignee_id": {"type": ["string", "null"]}})),
        "Task": object(&["id", "incident_id", "title", "status"], json!({
            "id": string(), "incident_id": string(), "title": string(), "assignee_id": {"type": ["string", "null"]},
            "assignee_email": {"type": ["string", "null"]}, "due_at": {"type": ["string", "null"], "format": "date-time"},
            "status": tasks(), "created_by": string(), "created_at": time()
        })),
        "Template": object(&["name", "tasks"], json!({"name": string(), "tasks": {"type": "array", "items": object(&["title", "due_hours"], json!({"title": string(), "due_hours": {"type": "integer", "minimum": 0}}))}})),
        "TemplateList": {"type": "array", "items": object(&["category", "name", "tasks"], json!({"category": string(), "name": string(), "tasks": {"type": "array"}}))},
        "RuleList": {"type": "array", "items": {"$ref": "#/components/schemas/Rule"}},
        "NewFollowUp": object(&["kind", "target_id", "action"], json!({
            "kind": {"type": "string", "enum": ["risk", "control"]}, "target_id": string(), "action": {"type": "string", "maxLength": 4000}
        })),
        "FollowUp": object(&["id", "incident_id", "kind", "target_id", "action", "done"], json!({
            "id": string(), "incident_id": string(), "incident_title": string(), "kind": {"type": "string", "enum": ["risk", "control"]},
            "target_id": string(), "target_name": {"type": ["string", "null"]}, "action": string(), "done": {"type": "boolean"},
            "created_by": string(), "created_at": time()
        })),
        "IncidentLinks": object(&["assets", "related", "follow_ups"], json!({
            "assets": {"type": "array", "items": object(&["id", "name"], json!({"id": string(), "name": string()}))},
            "related": {"type": "array", "items": object(&["id", "name"], json!({"id": string(), "name": string()}))},
            "follow_ups": {"type": "array", "items": {"$ref": "#/components/schemas/FollowUp"}},
        })),
    });
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), evidence_schemas()) {
        all.extend(more);
    }
    all
}
