//! The OpenAPI 3.1 description of `/api/v1`, built from one table of
//! operations that also feeds the human-readable API page. A test checks every
//! operation here answers on the router, and a snapshot pins the document.

mod assess;
mod collections;
mod incidents;
mod notifications;
mod sharing;

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

/// One operation, compactly: (method, path, summary, permission, request, responses, paged).
pub(crate) const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    permission: &'static str,
    request: Option<&'static str>,
    responses: &'static [(u16, &'static str)],
    paged: bool,
) -> Operation {
    Operation { method, path, summary, permission, request, responses, paged }
}

pub(crate) const NONE: &[(u16, &str)] = &[(204, ""), (404, "Problem")];
const LINK: &[(u16, &str)] = &[(204, ""), (404, "Problem"), (409, "Problem")];

/// Every operation of the API, in the order the API page lists them.
pub fn operations() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS
        .iter()
        .chain(assess::OPERATIONS)
        .chain(incidents::OPERATIONS)
        .chain(notifications::OPERATIONS)
        .chain(sharing::OPERATIONS)
        .chain(collections::OPERATIONS)
}

const OPERATIONS: &[Operation] = &[
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
    op(
        "get",
        "/api/v1/assets",
        "The asset inventory by name, filtered by kind and criticality.",
        "read",
        None,
        &[(200, "AssetPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/assets",
        "Record an asset.",
        "edit",
        Some("AssetInput"),
        &[(201, "Asset"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/assets/export",
        "The filtered inventory as CSV (format=csv) or JSON (format=json).",
        "read",
        None,
        &[(200, "")],
        false,
    ),
    op(
        "get",
        "/api/v1/assets/{id}",
        "An asset with what it depends on and what uses it.",
        "read",
        None,
        &[(200, "AssetDetail"), (404, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/assets/{id}",
        "Change the fields an asset body names.",
        "edit",
        Some("AssetInput"),
        &[(200, "Asset"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/assets/{id}",
        "Delete an asset with its dependency edges and links.",
        "edit",
        None,
        NONE,
        false,
    ),
    op(
        "put",
        "/api/v1/assets/{id}/dependencies/{depends_on}",
        "Record that the asset depends on another (cycles refused).",
        "edit",
        None,
        LINK,
        false,
    ),
    op("delete", "/api/v1/assets/{id}/dependencies/{depends_on}", "Remove a dependency.", "edit", None, NONE, false),
    op(
        "get",
        "/api/v1/vulnerabilities",
        "Vulnerabilities, newest first, filtered by status and severity.",
        "read",
        None,
        &[(200, "VulnerabilityPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/vulnerabilities",
        "Record a vulnerability; the CVSS v4.0 score and severity are computed from the vector.",
        "edit",
        Some("VulnerabilityInput"),
        &[(201, "Vulnerability"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/vulnerabilities/export",
        "The filtered vulnerabilities as CSV or JSON.",
        "read",
        None,
        &[(200, "")],
        false,
    ),
    op(
        "get",
        "/api/v1/vulnerabilities/{id}",
        "A vulnerability with the assets it affects.",
        "read",
        None,
        &[(200, "VulnerabilityDetail"), (404, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/vulnerabilities/{id}",
        "Change the fields a vulnerability body names.",
        "edit",
        Some("VulnerabilityInput"),
        &[(200, "Vulnerability"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op("delete", "/api/v1/vulnerabilities/{id}", "Delete a vulnerability.", "edit", None, NONE, false),
    op(
        "put",
        "/api/v1/vulnerabilities/{id}/assets/{asset_id}",
        "Record that the vulnerability affects an asset.",
        "edit",
        None,
        LINK,
        false,
    ),
    op(
        "delete",
        "/api/v1/vulnerabilities/{id}/assets/{asset_id}",
        "Remove an affected asset.",
        "edit",
        None,
        NONE,
        false,
    ),
    op(
        "get",
        "/api/v1/threats",
        "The threat catalog by name, filtered by category and source.",
        "read",
        None,
        &[(200, "ThreatPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/threats",
        "Add a custom threat to the catalog.",
        "edit",
        Some("ThreatInput"),
        &[(201, "Threat"), (422, "Problem")],
        false,
    ),
    op("get", "/api/v1/threats/export", "The filtered catalog as CSV or JSON.", "read", None, &[(200, "")], false),
    op(
        "delete",
        "/api/v1/threats/{id}",
        "Remove a threat; scenarios naming it keep the rest.",
        "edit",
        None,
        NONE,
        false,
    ),
    op(
        "get",
        "/api/v1/controls",
        "Applied controls, newest first, filtered by status.",
        "read",
        None,
        &[(200, "ControlPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/controls",
        "Record an applied control.",
        "edit",
        Some("ControlInput"),
        &[(201, "Control"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/controls/{id}",
        "An applied control with the risk scenarios it treats.",
        "read",
        None,
        &[(200, "ControlDetail"), (404, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/controls/{id}",
        "Change the fields a control body names (null clears eta, effort, annual_cost).",
        "edit",
        Some("ControlInput"),
        &[(200, "Control"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op("delete", "/api/v1/controls/{id}", "Delete an applied control and its links.", "edit", None, NONE, false),
    op(
        "get",
        "/api/v1/risk-scenarios",
        "The risk register, newest first, filtered by treatment, current level (index on the matrix) and overdue review.",
        "read",
        None,
        &[(200, "RiskPage")],
        true,
    ),
    op(
        "post",
        "/api/v1/risk-scenarios",
        "Record a risk scenario rated on the organisation's matrix.",
        "edit",
        Some("RiskInput"),
        &[(201, "Risk"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/risk-scenarios/export",
        "The filtered register as CSV (levels as labels) or JSON.",
        "read",
        None,
        &[(200, "")],
        false,
    ),
    op(
        "get",
        "/api/v1/risk-scenarios/{id}",
        "A scenario with its assets, vulnerabilities, controls and acceptance history.",
        "read",
        None,
        &[(200, "RiskDetail"), (404, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/risk-scenarios/{id}",
        "Change the fields a scenario body names; null clears a rating, the threat or the cadence.",
        "edit",
        Some("RiskInput"),
        &[(200, "Risk"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/risk-scenarios/{id}",
        "Delete a scenario with its links, acceptances and quantifications.",
        "edit",
        None,
        NONE,
        false,
    ),
    op(
        "put",
        "/api/v1/risk-scenarios/{id}/{kind}/{other}",
        "Link an asset, vulnerability or control: kind is assets, vulnerabilities or controls.",
        "edit",
        None,
        LINK,
        false,
    ),
    op(
        "delete",
        "/api/v1/risk-scenarios/{id}/{kind}/{other}",
        "Remove a link (kind: assets, vulnerabilities or controls).",
        "edit",
        None,
        NONE,
        false,
    ),
    op(
        "post",
        "/api/v1/risk-scenarios/{id}/review",
        "Record that the scenario was reviewed now (restarts the review cadence).",
        "edit",
        None,
        &[(200, "Risk"), (404, "Problem")],
        false,
    ),
    op(
        "put",
        "/api/v1/risk-scenarios/{id}/fair-model",
        "Set the scenario's Open FAIR estimates (a scenario of a model file without its name; see docs/QUANT.md).",
        "edit",
        Some("FairModel"),
        &[(200, "FairModel"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/risk-scenarios/{id}/fair-model",
        "Remove the scenario's FAIR estimates.",
        "edit",
        None,
        NONE,
        false,
    ),
    op(
        "post",
        "/api/v1/risk-scenarios/{id}/quantify",
        "Run the Monte Carlo engine on the scenario and keep the result with its seed, iterations and engine version. The body is optional.",
        "edit",
        Some("RunOptions"),
        &[(201, "QuantRun"), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/risk-scenarios/{id}/quantification",
        "The scenario's latest quantification.",
        "read",
        None,
        &[(200, "QuantRun"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/risk-scenarios/{id}/acceptances",
        "Submit the scenario's risk for acceptance by an admin other than you, until a date.",
        "edit",
        Some("AcceptanceInput"),
        &[(201, "Acceptance"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/risk-acceptances",
        "Acceptances awaiting a decision (queue=awaiting-decision, the default) or in their reminder period or expired (queue=expiring).",
        "read",
        None,
        &[(200, "AcceptanceList")],
        false,
    ),
    op(
        "post",
        "/api/v1/risk-acceptances/{id}/decision",
        "Accept or reject (the named approver only) or revoke (any admin) an acceptance; other transitions answer 409.",
        "admin",
        Some("Decision"),
        &[(200, "Acceptance"), (403, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/risk-settings",
        "The risk matrix and risk tolerance.",
        "read",
        None,
        &[(200, "RiskSettings")],
        false,
    ),
    op(
        "put",
        "/api/v1/risk-settings",
        "Replace the matrix (3×3 to 5×5) and tolerance; every scenario is re-levelled.",
        "admin",
        Some("RiskSettings"),
        &[(200, "RiskSettings"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/risk-heat-map",
        "How many scenarios sit in each cell, current and residual.",
        "read",
        None,
        &[(200, "HeatMap")],
        false,
    ),
    op(
        "post",
        "/api/v1/portfolio/quantify",
        "Quantify every scenario with FAIR estimates as one portfolio, against the risk tolerance. The body is optional.",
        "edit",
        Some("RunOptions"),
        &[(201, "QuantRun"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/portfolio",
        "The latest portfolio quantification.",
        "read",
        None,
        &[(200, "QuantRun"), (404, "Problem")],
        false,
    ),
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

pub(crate) fn string() -> Value {
    json!({"type": "string"})
}

pub(crate) fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn nullable_time() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

fn statuses_schema() -> Value {
    json!({"type": "string", "enum": ["open", "in-remediation", "mitigated", "accepted", "false-positive"]})
}

fn control_statuses() -> Value {
    json!({"type": "string", "enum": ["to-do", "in-progress", "active", "degraded", "retired"]})
}

pub(crate) fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

pub(crate) fn page_of(item: &str) -> Value {
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

/// The schemas of the risk pillar's controls, scenarios, acceptances and
/// quantification (one `json!` for all schemas would exceed the macro's recursion limit).
fn risk_schemas() -> Value {
    let control_props = json!({
        "name": {"type": "string", "maxLength": 120}, "description": {"type": "string", "maxLength": 4000},
        "status": {"type": "string", "enum": ["to-do", "in-progress", "active", "degraded", "retired"]},
        "owner": {"type": "string", "maxLength": 120}, "eta": {"type": ["string", "null"], "format": "date"},
        "effort": {"type": ["string", "null"], "enum": ["xs", "s", "m", "l", "xl", null]},
        "annual_cost": {"type": ["integer", "null"], "minimum": 0, "description": "Whole currency units"}
    });
    let mut control = control_props.clone();
    control["id"] = string();
    control["created_at"] = time();
    control["updated_at"] = time();
    let mut control_detail = control.clone();
    control_detail["scenarios"] =
        json!({"type": "array", "items": object(&["id", "name"], json!({"id": string(), "name": string()}))});
    let rating_in = json!({"oneOf": [{"$ref": "#/components/schemas/RatingInput"}, {"type": "null"}]});
    let rating_out = json!({"oneOf": [{"$ref": "#/components/schemas/Rating"}, {"type": "null"}]});
    let treatment = json!({"type": "string", "enum": ["undecided", "mitigate", "accept", "transfer", "avoid"]});
    let risk_input = json!({
        "name": {"type": "string", "maxLength": 120}, "description": {"type": "string", "maxLength": 8000},
        "owner": {"type": "string", "maxLength": 120}, "threat_id": {"type": ["string", "null"]},
        "inherent": rating_in, "current": rating_in, "residual": rating_in, "target": rating_in, "treatment": treatment,
        "review_every_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650}
    });
    let mut risk = risk_input.clone();
    for k in ["inherent", "current", "residual", "target"] {
        risk[k] = rating_out.clone();
    }
    risk["id"] = string();
    risk["last_reviewed_at"] = time();
    risk["next_review_at"] = nullable_time();
    risk["review_overdue"] = json!({"type": "boolean"});
    risk["fair_model"] = json!({"oneOf": [{"$ref": "#/components/schemas/FairModel"}, {"type": "null"}]});
    risk["created_at"] = time();
    risk["updated_at"] = time();
    let acceptance = json!({
        "id": string(), "scenario_id": string(), "scenario_name": string(),
        "state": {"type": "string", "enum": ["submitted", "accepted", "rejected", "revoked"]},
        "term": {"type": ["string", "null"], "enum": ["in-force", "expiring-soon", "expired", null]},
        "justification": string(), "approver_id": string(), "approver_email": string(), "submitted_by": string(),
        "submitted_at": time(), "expires_at": time(), "remind_days": {"type": "integer"},
        "decided_by": {"type": ["string", "null"]}, "decided_at": nullable_time(), "decision_note": {"type": ["string", "null"]}
    });
    let mut risk_detail = risk.clone();
    risk_detail["assets"] = json!({"type": "array", "items": object(&["id", "name", "kind"], json!({"id": string(), "name": string(), "kind": string()}))});
    risk_detail["vulnerabilities"] = json!({"type": "array", "items": object(&["id", "title", "severity"], json!({"id": string(), "title": string(), "severity": {"type": ["string", "null"]}}))});
    risk_detail["controls"] = json!({"type": "array", "items": object(&["id", "name", "status"], json!({"id": string(), "name": string(), "status": string()}))});
    risk_detail["acceptances"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Acceptance"}});
    let heat_cell = object(
        &["likelihood", "impact", "count"],
        json!({"likelihood": {"type": "integer"}, "impact": {"type": "integer"}, "count": {"type": "integer"}}),
    );
    json!({
        "ControlInput": {"type": "object", "properties": control_props, "description": "For POST a name is required (status defaults to to-do); PATCH changes only what it names."},
        "Control": object(&["id", "name", "description", "status", "owner", "eta", "effort", "annual_cost", "created_at", "updated_at"], control),
        "ControlDetail": object(&["id", "name", "status", "scenarios"], control_detail),
        "ControlPage": page_of("Control"),
        "RatingInput": object(&["likelihood", "impact"], json!({"likelihood": {"type": "integer", "minimum": 1, "maximum": 5}, "impact": {"type": "integer", "minimum": 1, "maximum": 5}})),
        "Rating": object(&["likelihood", "impact", "level", "label", "colour"], json!({
            "likelihood": {"type": "integer"}, "impact": {"type": "integer"}, "level": {"type": "integer", "description": "Index into the matrix's levels"},
            "label": string(), "colour": string()
        })),
        "RiskInput": {"type": "object", "properties": risk_input, "description": "For POST a name is required (treatment defaults to undecided); PATCH changes only what it names."},
        "Risk": object(&["id", "name", "treatment", "inherent", "current", "residual", "target", "last_reviewed_at", "review_overdue"], risk),
        "RiskDetail": object(&["id", "name", "assets", "vulnerabilities", "controls", "acceptances"], risk_detail),
        "RiskPage": page_of("Risk"),
        "FairModel": {"type": "object", "description": "Open FAIR estimates: tef (or contact_frequency and probability_of_action), vulnerability (or threat_capability and resistance_strength), loss_magnitude (or primary_loss by form), optional secondary_loss and controls. Each estimate names one distribution: constant, uniform, triangular, pert (shape, gamma), lognormal (90% interval) or normal (truncated). See docs/QUANT.md."},
        "RunOptions": object(&[], json!({
            "iterations": {"type": "integer", "minimum": 1, "description": "Default 100,000; at most the server's limit"},
            "seed": {"type": "integer", "minimum": 0, "description": "Omitted: random, and recorded"},
            "mode": {"type": "string", "enum": ["aggregate", "pyfair"], "default": "aggregate"}
        })),
        "QuantRun": object(&["id", "scenario_id", "iterations", "seed", "mode", "engine_version", "model", "result", "created_by", "created_at"], json!({
            "id": string(), "scenario_id": {"type": ["string", "null"], "description": "null for a portfolio run"}, "iterations": {"type": "integer"},
            "seed": {"type": "string", "description": "64-bit unsigned, as a decimal string"}, "mode": string(), "engine_version": string(),
            "model": {"type": "object", "description": "The model as run"},
            "result": {"type": "object", "description": "scenarios and portfolio: mean, stdev, min, max, percentiles, histogram, loss_exceedance; tolerance checks; names (portfolio: scenario id → name)"},
            "created_by": string(), "created_at": time()
        })),
        "AcceptanceInput": object(&["justification", "approver_id", "expires_at"], json!({
            "justification": {"type": "string", "maxLength": 4000}, "approver_id": {"type": "string", "description": "User id of an admin other than you"},
            "expires_at": {"type": "string", "description": "A date (2027-06-30) or RFC 3339 time, within ten years"},
            "remind_days": {"type": "integer", "minimum": 0, "maximum": 365, "default": 30}
        })),
        "Acceptance": object(&["id", "scenario_id", "state", "justification", "approver_id", "expires_at"], acceptance),
        "AcceptanceList": {"type": "array", "items": {"$ref": "#/components/schemas/Acceptance"}},
        "Decision": object(&["decision"], json!({"decision": {"type": "string", "enum": ["accept", "reject", "revoke"]}, "note": {"type": "string", "maxLength": 4000}})),
        "RiskSettings": object(&["matrix"], json!({
            "matrix": object(&["likelihood", "impact", "levels", "grid"], json!({
                "likelihood": {"type": "array", "items": string(), "minItems": 3, "maxItems": 5, "description": "Lowest first"},
                "impact": {"type": "array", "items": string(), "minItems": 3, "maxItems": 5, "description": "Lowest first"},
                "levels": {"type": "array", "minItems": 2, "maxItems": 6, "items": object(&["label", "colour"], json!({"label": string(), "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}}))},
                "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}, "description": "grid[likelihood-1][impact-1] is a level index; never falling along either axis"}
            })),
            "tolerance": {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}, "description": "[annual loss, highest acceptable probability of exceeding it]"}
        })),
        "HeatMap": object(&["current", "residual"], json!({
            "current": {"type": "array", "items": heat_cell}, "residual": {"type": "array", "items": heat_cell}
        })),
    })
}

fn parameters(op: &Operation) -> Vec<Value> {
    let mut params = Vec::new();
    for name in ["user_id", "id", "depends_on", "asset_id", "kind", "other", "urn", "node_id", "control_id", "category"]
    {
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
    if op.path == "/api/v1/controls" && op.method == "get" {
        params.push(json!({"name": "status", "in": "query", "schema": control_statuses()}));
    }
    if op.path == "/api/v1/risk-scenarios" && op.method == "get" || op.path == "/api/v1/risk-scenarios/export" {
        params.push(json!({"name": "treatment", "in": "query", "schema": {"type": "string", "enum": ["undecided", "mitigate", "accept", "transfer", "avoid"]}}));
        params.push(json!({"name": "level", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "Current level (index on the matrix)"}));
        params.push(json!({"name": "overdue", "in": "query", "schema": {"type": "boolean"}}));
    }
    if op.path == "/api/v1/risk-acceptances" {
        params.push(json!({"name": "queue", "in": "query", "schema": {"type": "string", "enum": ["awaiting-decision", "expiring"]}}));
    }
    if op.path.starts_with("/api/v1/audit") {
        for name in ["actor", "object_type", "object_id"] {
            params.push(json!({"name": name, "in": "query", "schema": string()}));
        }
        params.push(json!({"name": "from", "in": "query", "schema": time()}));
        params.push(json!({"name": "to", "in": "query", "schema": time()}));
    }
    params.extend(assess::parameters(op));
    params.extend(incidents::parameters(op));
    let detail_export =
        ["/api/v1/frameworks/", "/api/v1/assessments/", "/api/v1/incidents/"].iter().any(|p| op.path.starts_with(p));
    if op.path.ends_with("/export") && !detail_export {
        params.push(json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"], "default": "csv"}}));
    }
    params
}

fn all_schemas() -> Value {
    let mut all = schemas();
    for more in [
        risk_schemas(),
        assess::schemas(),
        incidents::schemas(),
        notifications::schemas(),
        sharing::schemas(),
        collections::schemas(),
    ] {
        if let (Some(all), Value::Object(more)) = (all.as_object_mut(), more) {
            all.extend(more);
        }
    }
    all
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for op in operations() {
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
        if op.request == Some("FileUpload") {
            operation["requestBody"] = json!({"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}});
        } else if let Some(schema) = op.request {
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
            "schemas": all_schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API token, rmp_…"}}
        }
    })
}
