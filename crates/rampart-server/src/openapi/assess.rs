//! The assessment pillar's operations and schemas: framework libraries.

use serde_json::{Value, json};

use super::{NONE, Operation, object, op, page_of, string, time};

pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/framework-library",
        "The built-in framework libraries, with the version this organisation has loaded of each.",
        "read",
        None,
        &[(200, "LibraryEntryList")],
        false,
    ),
    op(
        "post",
        "/api/v1/framework-library/{urn}/load",
        "Load a built-in library, or upgrade the loaded one to the built-in's higher version.",
        "edit",
        None,
        &[(201, "FrameworkImport"), (200, "FrameworkImport"), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/frameworks",
        "The frameworks loaded in this organisation, by name.",
        "read",
        None,
        &[(200, "FrameworkPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/frameworks",
        "Load a library sent as the body: Rampart's YAML format, an OSCAL catalog, or an OSCAL profile with its catalog as {\"profile\": …, \"catalog\": …}. A higher version of a loaded URN upgrades it in place, matching nodes by ref_id; the same or a lower version is refused. With `into`, the library's statements and guidance are added to that loaded framework instead (200, FrameworkEnrichment).",
        "edit",
        Some("LibraryDocument"),
        &[(201, "FrameworkImport"), (200, "FrameworkImport"), (409, "Problem"), (413, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/frameworks/{id}",
        "A framework with its whole requirement tree in document order (withdrawn nodes last).",
        "read",
        None,
        &[(200, "FrameworkDetail"), (404, "Problem")],
        false,
    ),
    op("delete", "/api/v1/frameworks/{id}", "Remove a framework and its tree.", "edit", None, NONE, false),
    op(
        "get",
        "/api/v1/mapping-library",
        "The built-in mapping sets between the built-in frameworks, with the version this organisation has loaded.",
        "read",
        None,
        &[(200, "MappingEntryList")],
        false,
    ),
    op(
        "post",
        "/api/v1/mapping-library/{urn}/load",
        "Load a built-in mapping set (both of its frameworks must be loaded).",
        "edit",
        None,
        &[(201, "MappingSet"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/mapping-sets",
        "The mapping sets loaded in this organisation.",
        "read",
        None,
        &[(200, "MappingSetList")],
        false,
    ),
    op(
        "post",
        "/api/v1/mapping-sets",
        "Load a mapping set sent as YAML (docs/FRAMEWORKS.md): both frameworks loaded, every ref id known; a higher version replaces the loaded one.",
        "edit",
        Some("MappingDocument"),
        &[(201, "MappingSet"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op("delete", "/api/v1/mapping-sets/{id}", "Remove a mapping set.", "edit", None, NONE, false),
    op(
        "get",
        "/api/v1/coverage",
        "Assess once, comply many: for each loaded framework, what its latest assessment answers and what the other frameworks' latest assessments lend it through mappings.",
        "read",
        None,
        &[(200, "CoverageList")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments",
        "Assessments, newest first, filtered by framework and status, each with its current scores.",
        "read",
        None,
        &[(200, "AssessmentPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/assessments",
        "Start an assessment of a loaded framework (status planned).",
        "edit",
        Some("AssessmentInput"),
        &[(201, "Assessment"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments/{id}",
        "An assessment with its scores and the people named in it.",
        "read",
        None,
        &[(200, "AssessmentDetail"), (404, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/assessments/{id}",
        "Change the fields a body names (not the framework); a done assessment answers 409.",
        "edit",
        Some("AssessmentInput"),
        &[(200, "Assessment"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/assessments/{id}",
        "Delete an assessment that is not done, with its answers.",
        "edit",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/assessments/{id}/status",
        "Move along planned → in-progress → in-review → done (in-review may go back to in-progress). Out of review only a named reviewer (or an admin when none is named) decides. An illegal move answers 409 naming the allowed ones.",
        "edit (named reviewers: out of review)",
        Some("StatusChange"),
        &[(200, "Assessment"), (403, "Problem"), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "put",
        "/api/v1/assessments/{id}/people",
        "Name the assessors and reviewers (members of the organisation), replacing those named before.",
        "edit",
        Some("AssessmentPeople"),
        &[(200, "AssessmentPersonList"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "put",
        "/api/v1/assessments/{id}/results",
        "Answer one or more requirements with the same result (bulk), in one transaction; the scores are recomputed with it.",
        "edit",
        Some("Answer"),
        &[(200, "Assessment"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments/{id}/requirements",
        "The workspace: every node of the framework with its answer, linked controls and scores, the overall score and the improvement actions ranked by points per unit of effort.",
        "read",
        None,
        &[(200, "Workspace"), (404, "Problem")],
        false,
    ),
    op(
        "put",
        "/api/v1/assessments/{id}/requirements/{node_id}/controls/{control_id}",
        "Record that an applied control implements the requirement.",
        "edit",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/assessments/{id}/requirements/{node_id}/controls/{control_id}",
        "Remove a control from a requirement.",
        "edit",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/assessments/{id}/requirements/{node_id}/evidence",
        "Attach evidence to a requirement's answer: a JSON body {url, name, expires_on} records a link; any other body is the file itself (Content-Type kept, ?name= and ?expires_on=), stored content-addressed by SHA-256, at most 25 MiB unless the server sets --evidence-max-bytes (413 beyond it). A done assessment answers 409.",
        "edit",
        Some("EvidenceUpload"),
        &[(201, "Evidence"), (404, "Problem"), (409, "Problem"), (413, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/evidence/{id}",
        "A piece of evidence.",
        "read",
        None,
        &[(200, "Evidence"), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/evidence/{id}/download",
        "The file of a piece of evidence, as an attachment; every download is audited.",
        "read",
        None,
        &[(200, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/evidence/{id}",
        "Remove a piece of evidence.",
        "edit",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments/{id}/trend",
        "The score snapshots, oldest first: one at creation and at each status change, and one per day of changes while in progress.",
        "read",
        None,
        &[(200, "SnapshotList"), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments/{id}/export",
        "The assessed requirements with their answers as CSV (format=csv) or JSON (format=json), or the assessment as OSCAL 1.1 assessment results (format=oscal-ar) or a plan of action and milestones for its open findings (format=poam); both pass compliance-trestle's validation.",
        "read",
        None,
        &[(200, ""), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments/{id}/soa",
        "The Statement of Applicability: each ISO/IEC 27001 Annex A control (or each counted requirement of another framework) applicable or excluded with the justification, its implementation and controls. JSON, or CSV with format=csv.",
        "read",
        None,
        &[(200, "SoaList"), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assessments/{id}/compare/{other}",
        "Requirement by requirement against another assessment of the same framework (other = before). JSON, or CSV with format=csv.",
        "read",
        None,
        &[(200, "ComparisonList"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/frameworks/{id}/export",
        "The framework in Rampart's YAML library format, as a download.",
        "read",
        None,
        &[(200, ""), (404, "Problem")],
        false,
    ),
];

/// Query parameters of the assessment operations.
pub fn parameters(op: &Operation) -> Vec<Value> {
    if op.path == "/api/v1/assessments" && op.method == "get" {
        return vec![
            json!({"name": "framework_id", "in": "query", "schema": string()}),
            json!({"name": "status", "in": "query", "schema": statuses()}),
        ];
    }
    if op.path == "/api/v1/assessments/{id}/export" {
        return vec![
            json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json", "oscal-ar", "poam"], "default": "csv"}}),
        ];
    }
    if op.path == "/api/v1/assessments/{id}/soa" || op.path == "/api/v1/assessments/{id}/compare/{other}" {
        return vec![
            json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}),
        ];
    }
    if op.path.starts_with("/api/v1/assessments/") && op.path.ends_with("/evidence") {
        return vec![
            json!({"name": "name", "in": "query", "schema": string(), "description": "The file's name (file uploads)"}),
            json!({"name": "expires_on", "in": "query", "schema": {"type": "string", "format": "date"}}),
        ];
    }
    if op.path == "/api/v1/frameworks" && op.method == "post" {
        return vec![
            json!({"name": "urn", "in": "query", "schema": string(), "description": "Load under this URN instead of the library's own"}),
            json!({"name": "into", "in": "query", "schema": string(), "description": "URN of a loaded framework to add the library's text to"}),
        ];
    }
    Vec::new()
}

fn statuses() -> Value {
    json!({"type": "string", "enum": ["planned", "in-progress", "in-review", "done"]})
}

fn result_kinds() -> Value {
    json!({"type": "string", "enum": ["not-assessed", "compliant", "partially-compliant", "non-compliant", "not-applicable"]})
}

/// The schemas of assessments, answers and scores.
fn assessment_schemas() -> Value {
    let summary = object(
        &["compliance", "maturity", "points_earned", "points_possible", "results", "progress", "headings"],
        json!({
            "compliance": {"type": ["number", "null"], "description": "Percent of applicable weight earned by results (docs/SCORING.md)"},
            "maturity": {"type": ["number", "null"], "description": "Mean score on the scale"},
            "points_earned": {"type": "number"}, "points_possible": {"type": "number"},
            "results": {"type": "array", "items": {"type": "integer"}, "minItems": 5, "maxItems": 5, "description": "Counts: not assessed, compliant, partially compliant, non-compliant, not applicable"},
            "progress": {"type": ["number", "null"], "description": "Percent of counted requirements answered"},
            "headings": {"type": "array", "items": object(&["ref_id", "title", "compliance", "maturity"], json!({
                "ref_id": string(), "title": string(), "compliance": {"type": ["number", "null"]}, "maturity": {"type": ["number", "null"]}
            }))}
        }),
    );
    let score = object(
        &["compliance", "maturity", "points_possible", "points_earned", "results"],
        json!({
            "compliance": {"type": ["number", "null"]}, "maturity": {"type": ["number", "null"]},
            "points_possible": {"type": "number"}, "points_earned": {"type": "number"},
            "results": {"type": "array", "items": {"type": "integer"}}
        }),
    );
    let input = json!({
        "framework_id": string(), "name": {"type": "string", "maxLength": 120}, "description": {"type": "string", "maxLength": 4000},
        "scope_asset_id": {"type": ["string", "null"], "description": "An asset (system) the assessment is limited to; null for the organisation"},
        "groups": {"type": "array", "items": string(), "description": "Implementation groups assessed; empty for all"},
        "roll_up": {"type": "string", "enum": ["weighted", "average-of-averages"], "default": "weighted"},
        "due_date": {"type": ["string", "null"], "format": "date"}
    });
    let mut assessment = input.clone();
    assessment["id"] = string();
    assessment["framework_name"] = string();
    assessment["status"] = statuses();
    assessment["next_statuses"] = json!({"type": "array", "items": statuses()});
    assessment["summary"] = summary;
    assessment["created_by"] = string();
    assessment["created_at"] = time();
    assessment["updated_at"] = time();
    let required = ["id", "framework_id", "name", "groups", "roll_up", "status", "next_statuses", "summary"];
    let mut detail = assessment.clone();
    detail["people"] = json!({"$ref": "#/components/schemas/AssessmentPersonList"});
    let person = object(
        &["user_id", "email", "role"],
        json!({"user_id": string(), "email": string(), "role": {"type": "string", "enum": ["assessor", "reviewer"]}}),
    );
    let answer_fields = json!({
        "result": result_kinds(), "score": {"type": ["integer", "null"], "description": "On the framework's score scale"},
        "target": {"type": ["integer", "null"]}, "observation": {"type": "string", "maxLength": 8000},
        "justification": {"type": "string", "maxLength": 8000, "description": "Required when not applicable"},
        "owner": {"type": "string", "maxLength": 120}
    });
    let mut answer = answer_fields.clone();
    answer["node_ids"] = json!({"type": "array", "items": string(), "minItems": 1, "maxItems": 5000});
    let mut stored = answer_fields;
    stored["node_id"] = string();
    stored["controls"] = json!({"type": "array", "items": object(&["id", "name", "status"], json!({"id": string(), "name": string(), "status": string()}))});
    stored["evidence"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}});
    stored["updated_by"] = string();
    stored["updated_at"] = time();
    json!({
        "AssessmentInput": {"type": "object", "properties": input, "description": "For POST framework_id and name are required; PATCH changes only what it names."},
        "Assessment": object(&required, assessment),
        "AssessmentPage": page_of("Assessment"),
        "AssessmentDetail": object(&[&required[..], &["people"]].concat(), detail),
        "AssessmentPersonList": {"type": "array", "items": person},
        "AssessmentPeople": object(&[], json!({"assessors": {"type": "array", "items": string()}, "reviewers": {"type": "array", "items": string()}})),
        "StatusChange": object(&["status"], json!({"status": statuses()})),
        "Answer": object(&["node_ids", "result"], answer),
        "Workspace": object(&["assessment", "overall", "with_inferred", "requirements", "improvements"], json!({
            "assessment": {"$ref": "#/components/schemas/Assessment"}, "overall": score.clone(),
            "with_inferred": score.clone(),
            "requirements": {"type": "array", "items": object(&["node_id", "ref_id", "depth", "title", "assessed", "weight", "answer", "score"], json!({
                "node_id": string(), "ref_id": string(), "parent": {"type": ["string", "null"]}, "depth": {"type": "integer"},
                "title": string(), "assessed": {"type": "boolean", "description": "Assessable and in the assessment's groups"},
                "weight": {"type": "integer"}, "answer": {"oneOf": [object(&["node_id", "result"], stored), {"type": "null"}]},
                "inferred": {"oneOf": [object(&["result", "from_assessment_id", "from_ref_id", "relationship", "strength"], json!({
                    "result": result_kinds(), "from_assessment_id": string(), "from_assessment": string(), "from_framework": string(),
                    "from_ref_id": string(), "relationship": {"type": "string", "enum": ["equal", "subset", "superset", "intersect", "not-related"]},
                    "strength": {"type": "integer"}
                })), {"type": "null"}]},
                "score": score
            }))},
            "improvements": {"type": "array", "items": object(&["node_id", "ref_id", "points_gained", "effort", "points_per_effort"], json!({
                "node_id": string(), "ref_id": string(), "title": string(), "points_gained": {"type": "number"},
                "effort": {"type": "number", "description": "Units: XS 1, S 2, M 4 (no linked control), L 8, XL 16"},
                "points_per_effort": {"type": "number"}
            }))}
        })),
        "MappingDocument": {"type": "string", "description": "A mapping set in YAML: urn, version, name, description, source and target framework URNs, mappings of {source, target, relationship (equal, subset, superset, intersect, not-related), strength 0–10}."},
        "MappingSet": object(&["id", "urn", "version", "name", "source_urn", "target_urn", "mappings"], json!({
            "id": string(), "urn": string(), "version": {"type": "integer"}, "name": string(), "description": string(),
            "source_urn": string(), "target_urn": string(), "source": {"type": "string", "enum": ["built-in", "yaml"]},
            "mappings": {"type": "integer", "description": "How many"}
        })),
        "MappingSetList": {"type": "array", "items": {"$ref": "#/components/schemas/MappingSet"}},
        "MappingEntryList": {"type": "array", "items": object(&["urn", "version", "name", "source", "target", "mappings", "loaded_version"], json!({
            "urn": string(), "version": {"type": "integer"}, "name": string(), "description": string(),
            "source": string(), "target": string(), "mappings": {"type": "integer"}, "loaded_version": {"type": ["integer", "null"]}
        }))},
        "CoverageList": {"type": "array", "items": object(&["framework_id", "framework", "urn", "requirements", "answered", "inferred", "compliance", "compliance_with_inferred", "sources"], json!({
            "framework_id": string(), "framework": string(), "urn": string(),
            "requirements": {"type": "integer"}, "answered": {"type": "integer", "description": "In the framework's latest assessment"},
            "inferred": {"type": "integer", "description": "Without a direct answer, with a result through mappings"},
            "compliance": {"type": ["number", "null"]}, "compliance_with_inferred": {"type": ["number", "null"]},
            "sources": {"type": "array", "items": string(), "description": "Assessments the inferred results come from"}
        }))},
        "EvidenceUpload": {"description": "A link as JSON {url, name, expires_on}, or the file's bytes with their own Content-Type."},
        "Evidence": object(&["id", "assessment_id", "node_id", "kind", "name"], json!({
            "id": string(), "assessment_id": string(), "node_id": string(), "kind": {"type": "string", "enum": ["file", "link"]},
            "name": string(), "url": {"type": ["string", "null"]}, "sha256": {"type": ["string", "null"]}, "size": {"type": ["integer", "null"]},
            "content_type": {"type": ["string", "null"]}, "expires_on": {"type": ["string", "null"], "format": "date"},
            "added_by": string(), "added_at": time()
        })),
        "SoaList": {"type": "array", "items": object(&["ref_id", "title", "applicable", "justification", "implementation", "controls"], json!({
            "ref_id": string(), "title": string(), "applicable": {"type": "boolean"}, "justification": string(),
            "implementation": {"type": "string", "enum": ["implemented", "partly implemented", "not implemented", "excluded", "not assessed"]},
            "controls": {"type": "string", "description": "Applied controls, `; ` between them"}
        }))},
        "ComparisonList": {"type": "array", "items": object(&["ref_id", "title", "before", "after", "changed"], json!({
            "ref_id": string(), "title": string(), "before": result_kinds(), "after": result_kinds(),
            "score_before": {"type": ["integer", "null"]}, "score_after": {"type": ["integer", "null"]}, "changed": {"type": "boolean"}
        }))},
        "SnapshotList": {"type": "array", "items": object(&["taken_at", "reason", "status", "summary"], json!({
            "taken_at": time(), "reason": {"type": "string", "enum": ["created", "status", "daily"]}, "status": statuses(),
            "summary": {"description": "As an assessment's summary"}
        }))},
    })
}

pub fn schemas() -> Value {
    let mut all = framework_schemas();
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), assessment_schemas()) {
        all.extend(more);
    }
    all
}

fn framework_schemas() -> Value {
    let level = object(&["value", "name"], json!({"value": {"type": "integer"}, "name": string()}));
    let group = object(
        &["ref_id", "name", "description"],
        json!({"ref_id": string(), "name": string(), "description": string()}),
    );
    let importance = json!({"type": ["string", "null"], "enum": ["mandatory", "recommended", "nice-to-have", null]});
    let framework = json!({
        "id": string(), "urn": string(), "version": {"type": "integer", "minimum": 1}, "name": string(),
        "provider": string(), "description": string(), "copyright": string(),
        "score_scale": {"type": "array", "items": level, "description": "Lowest first; empty when the framework has none"},
        "implementation_groups": {"type": "array", "items": group},
        "source": {"type": "string", "enum": ["built-in", "yaml", "oscal"]},
        "nodes": {"type": "integer"}, "assessable": {"type": "integer"},
        "created_at": time(), "updated_at": time()
    });
    let mut detail = framework.clone();
    detail["requirements"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/RequirementNode"}});
    let framework_required =
        ["id", "urn", "version", "name", "score_scale", "implementation_groups", "source", "nodes", "assessable"];
    json!({
        "LibraryDocument": {"type": "string", "description": "The raw body: a library in Rampart's YAML format (docs/FRAMEWORKS.md, Content-Type application/yaml), an OSCAL 1.1/1.2 catalog, or an OSCAL profile and its catalog in one JSON object (application/json). At most 32 MiB."},
        "FrameworkEnrichment": object(&["framework", "enriched", "not_in_framework"], json!({
            "framework": {"$ref": "#/components/schemas/Framework"}, "enriched": {"type": "integer"},
            "not_in_framework": {"type": "array", "items": string(), "description": "Ref ids of the source the framework does not have"}
        })),
        "Framework": object(&framework_required, framework),
        "FrameworkPage": page_of("Framework"),
        "FrameworkDetail": object(&[&framework_required[..], &["requirements"]].concat(), detail),
        "RequirementNode": object(&["id", "ref_id", "parent", "depth", "title", "assessable", "weight"], json!({
            "id": string(), "ref_id": string(), "parent": {"type": ["string", "null"]}, "depth": {"type": "integer"},
            "title": string(), "statement": string(), "guidance": string(),
            "evidence": {"type": "array", "items": string(), "description": "Typical evidence"},
            "assessable": {"type": "boolean"}, "weight": {"type": "integer", "description": "Points in scores"},
            "importance": importance, "groups": {"type": "array", "items": string()},
            "function": {"type": ["string", "null"]}, "withdrawn": {"type": "boolean"},
            "extra": {"description": "What the source carried beyond the format (OSCAL parameters and parts)"}
        })),
        "FrameworkImport": object(&["framework", "previous_version", "created", "updated", "withdrawn"], json!({
            "framework": {"$ref": "#/components/schemas/Framework"},
            "previous_version": {"type": ["integer", "null"], "description": "The version an upgrade replaced"},
            "created": {"type": "integer"}, "updated": {"type": "integer"},
            "withdrawn": {"type": "integer", "description": "Nodes the new version dropped, kept as withdrawn"}
        })),
        "LibraryEntryList": {"type": "array", "items": object(&["urn", "version", "name", "nodes", "assessable", "loaded"], json!({
            "urn": string(), "version": {"type": "integer"}, "name": string(), "provider": string(), "description": string(),
            "nodes": {"type": "integer"}, "assessable": {"type": "integer"},
            "loaded": {"oneOf": [object(&["id", "version"], json!({"id": string(), "version": {"type": "integer"}})), {"type": "null"}]}
        }))},
    })
}
