//! The OpenAPI 3.1 description of `/api/v1`, built from one table of
//! operations that also feeds the human-readable API page. A test checks every
//! operation here answers on the router, and a snapshot pins the document.

use serde_json::{Value, json};

/// One API operation.
#[derive(Debug)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The permission needed, in words; empty when any authenticated actor may.
    pub permission: &'static str,
    pub request: Option<&'static str>,
    /// (status, schema name or empty for no body)
    pub responses: &'static [(u16, &'static str)],
    pub paged: bool,
}

pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/api/v1/me",
        summary: "The authenticated user, their current organisation and role, and all their memberships.",
        permission: "",
        request: None,
        responses: &[(200, "Me")],
        paged: false,
    },
    Operation {
        method: "get",
        path: "/api/v1/organisations",
        summary: "All organisations (instance superadmins only).",
        permission: "superadmin",
        request: None,
        responses: &[(200, "OrganisationPage")],
        paged: true,
    },
    Operation {
        method: "post",
        path: "/api/v1/organisations",
        summary: "Create an organisation (instance superadmins only); the caller becomes its first admin.",
        permission: "superadmin",
        request: Some("NewOrganisation"),
        responses: &[(201, "Organisation"), (409, "Problem")],
        paged: false,
    },
    Operation {
        method: "get",
        path: "/api/v1/members",
        summary: "Members of the current organisation, by e-mail.",
        permission: "read",
        request: None,
        responses: &[(200, "MemberPage")],
        paged: true,
    },
    Operation {
        method: "post",
        path: "/api/v1/members",
        summary: "Add a person to the organisation; a new account needs an initial password.",
        permission: "admin",
        request: Some("NewMember"),
        responses: &[(201, "Member"), (409, "Problem"), (422, "Problem")],
        paged: false,
    },
    Operation {
        method: "patch",
        path: "/api/v1/members/{user_id}",
        summary: "Change a member's role (the last admin cannot be demoted).",
        permission: "admin",
        request: Some("MemberChange"),
        responses: &[(200, "Member"), (404, "Problem"), (409, "Problem")],
        paged: false,
    },
    Operation {
        method: "delete",
        path: "/api/v1/members/{user_id}",
        summary: "Remove a member; their tokens for this organisation are revoked.",
        permission: "admin",
        request: None,
        responses: &[(204, ""), (404, "Problem"), (409, "Problem")],
        paged: false,
    },
    Operation {
        method: "get",
        path: "/api/v1/tokens",
        summary: "API tokens: an admin sees the organisation's, others their own.",
        permission: "",
        request: None,
        responses: &[(200, "TokenPage")],
        paged: true,
    },
    Operation {
        method: "post",
        path: "/api/v1/tokens",
        summary: "Create an API token for yourself in this organisation; the secret is returned once.",
        permission: "",
        request: Some("NewToken"),
        responses: &[(201, "CreatedToken"), (422, "Problem")],
        paged: false,
    },
    Operation {
        method: "delete",
        path: "/api/v1/tokens/{id}",
        summary: "Revoke a token (your own, or any as admin).",
        permission: "",
        request: None,
        responses: &[(204, ""), (404, "Problem")],
        paged: false,
    },
    Operation {
        method: "get",
        path: "/api/v1/audit",
        summary: "The organisation's audit trail, newest first, filtered by actor, object and time.",
        permission: "admin or auditor",
        request: None,
        responses: &[(200, "AuditPage")],
        paged: true,
    },
    Operation {
        method: "get",
        path: "/api/v1/audit/export",
        summary: "The whole filtered audit trail as CSV (format=csv) or JSON (format=json).",
        permission: "admin or auditor",
        request: None,
        responses: &[(200, "")],
        paged: false,
    },
];

fn string() -> Value {
    json!({"type": "string"})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn nullable_time() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

fn statuses_schema() -> Value {
    json!({"type": "string", "enum": ["open", "in-remediation", "mitigated", "accepted", "false-positive"]})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn page_of(item: &str) -> Value {
    object(
        &["items", "next"],
        json!({
            "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
            "next": {"type": ["string", "null"], "description": "Pass as `after` for the next page; null on the last page."}
        }),
    )
}

fn schemas() -> Value {
    let roles = json!({"type": "string", "enum": ["admin", "analyst", "auditor", "viewer"]});
    let asset_kinds = json!({"type": "string", "enum": ["information", "service", "application", "system", "infrastructure", "people", "supplier"]});
    let need = json!({"type": "string", "enum": ["low", "medium", "high", "very-high"]});
    let asset_props = json!({
        "name": {"type": "string", "maxLength": 120}, "kind": asset_kinds, "description": {"type": "string", "maxLength": 4000},
        "owner": {"type": "string", "maxLength": 120}, "confidentiality": need, "integrity": need, "availability": need,
        "critical": {"type": "boolean", "description": "Part of the critical information infrastructure"}
    });
    let mut asset = asset_props.clone();
    asset["id"] = string();
    asset["created_at"] = time();
    asset["updated_at"] = time();
    let link = object(&["id", "name", "kind"], json!({"id": string(), "name": string(), "kind": asset_kinds}));
    let mut detail = asset.clone();
    detail["depends_on"] = json!({"type": "array", "items": link});
    detail["used_by"] = json!({"type": "array", "items": link});
    let statuses = statuses_schema();
    let vuln_input = json!({
        "title": {"type": "string", "maxLength": 120}, "cve_id": {"type": "string", "pattern": "^CVE-[0-9]{4}-[0-9]{4,}$"},
        "description": {"type": "string", "maxLength": 8000}, "cvss_vector": {"type": "string", "description": "CVSS:4.0/…"}, "status": statuses
    });
    let mut vuln = vuln_input.clone();
    vuln["id"] = string();
    vuln["cve_id"] = json!({"type": ["string", "null"]});
    vuln["cvss_vector"] = json!({"type": ["string", "null"]});
    vuln["cvss_score"] = json!({"type": ["number", "null"], "description": "Computed from the vector"});
    vuln["severity"] = json!({"type": ["string", "null"], "enum": ["None", "Low", "Medium", "High", "Critical", null]});
    vuln["created_at"] = time();
    vuln["updated_at"] = time();
    let mut vuln_detail = vuln.clone();
    vuln_detail["assets"] = json!({"type": "array", "items": object(&["id", "name", "kind"], json!({"id": string(), "name": string(), "kind": string()}))});
    let vuln_required = [
        "id",
        "title",
        "cve_id",
        "description",
        "cvss_vector",
        "cvss_score",
        "severity",
        "status",
        "created_at",
        "updated_at",
    ];
    let asset_required = [
        "id",
        "name",
        "kind",
        "description",
        "owner",
        "confidentiality",
        "integrity",
        "availability",
        "critical",
        "created_at",
        "updated_at",
    ];
    let kinds =
        json!({"type": "string", "enum": ["provider", "consumer", "authority", "coordinator", "law-enforcement"]});
    json!({
        "Problem": object(&["type", "title", "status", "detail"], json!({
            "type": string(), "title": string(), "status": {"type": "integer"}, "detail": string(),
            "errors": {"type": "array", "items": object(&["field", "reason"], json!({"field": string(), "reason": string()}))}
        })),
        "Organisation": object(&["id", "name", "kind", "created_at"], json!({"id": string(), "name": string(), "kind": kinds, "created_at": time()})),
        "OrganisationPage": page_of("Organisation"),
        "NewOrganisation": object(&["name", "kind"], json!({"name": {"type": "string", "maxLength": 120}, "kind": kinds})),
        "Membership": object(&["organisation", "role"], json!({"organisation": {"$ref": "#/components/schemas/Organisation"}, "role": roles})),
        "Me": object(&["user_id", "email", "superadmin", "organisation", "memberships"], json!({
            "user_id": string(), "email": string(), "superadmin": {"type": "boolean"},
            "organisation": {"$ref": "#/components/schemas/Membership"},
            "memberships": {"type": "array", "items": {"$ref": "#/components/schemas/Membership"}}
        })),
        "Member": object(&["user_id", "email", "role", "joined_at"], json!({"user_id": string(), "email": string(), "role": roles, "joined_at": time()})),
        "MemberPage": page_of("Member"),
        "NewMember": object(&["email", "role"], json!({"email": {"type": "string", "maxLength": 254}, "role": roles, "password": {"type": "string", "minLength": 12, "maxLength": 1024}})),
        "MemberChange": object(&["role"], json!({"role": roles})),
        "Token": object(&["id", "name", "user_email", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at", "active"], json!({
            "id": string(), "name": string(), "user_email": string(), "prefix": string(), "created_at": time(),
            "expires_at": nullable_time(), "revoked_at": nullable_time(), "last_used_at": nullable_time(), "active": {"type": "boolean"}
        })),
        "TokenPage": page_of("Token"),
        "NewToken": object(&["name"], json!({"name": {"type": "string", "maxLength": 100}, "expires_in": {"type": "string", "pattern": "^[0-9]+[mhd]$", "examples": ["90d"]}})),
        "CreatedToken": object(&["token", "secret"], json!({"token": {"$ref": "#/components/schemas/Token"}, "secret": {"type": "string", "description": "rmp_…, shown once"}})),
        "AuditRecord": object(&["seq", "at", "actor", "action", "object_type", "object_id", "state_digest", "request_id", "hash"], json!({
            "seq": {"type": "integer"}, "at": time(), "actor": string(), "action": string(), "object_type": string(),
            "object_id": string(), "state_digest": string(), "request_id": string(), "hash": string()
        })),
        "AuditPage": page_of("AuditRecord"),
        "AssetInput": {"type": "object", "properties": asset_props, "description": "For POST, name, kind, confidentiality, integrity and availability are required; PATCH changes only what it names."},
        "Asset": object(&asset_required, asset),
        "AssetDetail": object(&[&asset_required[..], &["depends_on", "used_by"]].concat(), detail),
        "AssetPage": page_of("Asset"),
        "ThreatInput": object(&["name", "category"], json!({"name": {"type": "string", "maxLength": 120}, "category": {"type": "string", "maxLength": 100}, "description": {"type": "string", "maxLength": 8000}})),
        "Threat": object(&["id", "name", "category", "description", "source", "external_id", "created_at", "updated_at"], json!({
            "id": string(), "name": string(), "category": string(), "description": string(),
            "source": {"type": "string", "enum": ["custom", "mitre-attack"]}, "external_id": {"type": ["string", "null"], "description": "ATT&CK technique id"},
            "created_at": time(), "updated_at": time()
        })),
        "ThreatPage": page_of("Threat"),
        "VulnerabilityInput": {"type": "object", "properties": vuln_input, "description": "For POST a title is required; PATCH changes only what it names."},
        "Vulnerability": object(&vuln_required, vuln),
        "VulnerabilityDetail": object(&[&vuln_required[..], &["assets"]].concat(), vuln_detail),
        "VulnerabilityPage": page_of("Vulnerability"),
    })
}

fn parameters(op: &Operation) -> Vec<Value> {
    let mut params = Vec::new();
    for name in ["user_id", "id", "depends_on", "asset_id"] {
        if op.path.contains(&format!("{{{name}}}")) {
            params.push(json!({"name": name, "in": "path", "required": true, "schema": string()}));
        }
    }
    if op.paged {
        params.push(json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}));
        params.push(json!({"name": "after", "in": "query", "schema": string()}));
    }
    if op.path == "/api/v1/vulnerabilities" && op.method == "get" {
        params.push(json!({"name": "status", "in": "query", "schema": statuses_schema()}));
        params.push(json!({"name": "severity", "in": "query", "schema": {"type": "string", "enum": ["None", "Low", "Medium", "High", "Critical"]}}));
    }
    if op.path == "/api/v1/threats" && op.method == "get" {
        params.push(json!({"name": "category", "in": "query", "schema": string()}));
        params.push(
            json!({"name": "source", "in": "query", "schema": {"type": "string", "enum": ["custom", "mitre-attack"]}}),
        );
    }
    if op.path == "/api/v1/assets" && op.method == "get" {
        params.push(json!({"name": "kind", "in": "query", "schema": string()}));
        params.push(json!({"name": "critical", "in": "query", "schema": {"type": "boolean"}}));
    }
    if op.path.starts_with("/api/v1/audit") {
        for name in ["actor", "object_type", "object_id"] {
            params.push(json!({"name": name, "in": "query", "schema": string()}));
        }
        params.push(json!({"name": "from", "in": "query", "schema": time()}));
        params.push(json!({"name": "to", "in": "query", "schema": time()}));
    }
    if op.path.ends_with("/export") {
        params.push(json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"], "default": "csv"}}));
    }
    params
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for op in OPERATIONS {
        let mut responses = serde_json::Map::new();
        for &(status, schema) in op.responses {
            let content = if schema.is_empty() {
                json!({"description": "Done"})
            } else {
                let media = if schema == "Problem" { "application/problem+json" } else { "application/json" };
                json!({"description": if status < 300 { "Success" } else { "Refused" }, "content": {media: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
            };
            responses.insert(status.to_string(), content);
        }
        responses.insert("401".into(), json!({"description": "Not authenticated", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}));
        if !op.permission.is_empty() {
            responses.insert("403".into(), json!({"description": "The role does not allow this", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}));
        }
        let mut operation = json!({"summary": op.summary, "parameters": parameters(op), "responses": responses});
        if let Some(schema) = op.request {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        if !op.permission.is_empty() {
            operation["description"] = json!(format!("Needs: {}.", op.permission));
        }
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Rampart API", "version": env!("CARGO_PKG_VERSION"), "description": "ISO/IEC 27032 in practice: assessment, risk, incidents and collaboration."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API token, rmp_…"}}
        }
    })
}
