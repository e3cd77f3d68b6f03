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
    if op.path == "/api/v1/frameworks" && op.method == "post" {
        return vec![
            json!({"name": "urn", "in": "query", "schema": string(), "description": "Load under this URN instead of the library's own"}),
            json!({"name": "into", "in": "query", "schema": string(), "description": "URN of a loaded framework to add the library's text to"}),
        ];
    }
    Vec::new()
}

pub fn schemas() -> Value {
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
