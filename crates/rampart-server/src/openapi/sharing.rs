//! Communities and shared items (docs/SHARING.md).

use serde_json::{Value, json};

use super::{Operation, object, op, string, time};

pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/communities",
        "The communities the organisation is in, with its role and state (invited or active).",
        "read",
        None,
        &[(200, "CommunityList")],
        false,
    ),
    op(
        "post",
        "/api/v1/communities",
        "Create a community; the organisation becomes its owner.",
        "admin",
        Some("NewCommunity"),
        &[(201, "Community"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/communities/{id}/members",
        "The members of a community the organisation is in.",
        "read",
        None,
        &[(200, "MemberList"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/communities/{id}/members",
        "An owner of the community invites an organisation by its exact name; it counts once it accepts.",
        "admin",
        Some("Invitation"),
        &[(201, ""), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/communities/{id}/accept",
        "Accept the organisation's invitation to a community.",
        "admin",
        None,
        &[(204, ""), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/communities/{id}/connections",
        "The communities connected to this one (its members only): items shared `connected` reach their members too.",
        "read",
        None,
        &[(200, "CommunityRefList"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/communities/{id}/connections",
        "Connect this community with another the organisation owns (both ways).",
        "admin",
        Some("ConnectionBody"),
        &[(204, ""), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/clients",
        "Record an organisation (by exact name) as a client: TLP:AMBER items this organisation receives reach it too.",
        "admin",
        Some("ClientBody"),
        &[(201, ""), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/shared-items",
        "The shared items the organisation may see (docs/SHARING.md), newest first, at most 500.",
        "read",
        None,
        &[(200, "SharedItemList")],
        false,
    ),
    op(
        "post",
        "/api/v1/shared-items",
        "Share an item in a community the organisation contributes to, under a TLP 2.0 marking and a distribution; TLP:RED names its recipients (organisation ids of active members).",
        "edit",
        Some("NewSharedItem"),
        &[(201, "SharedItem"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/shared-items/export",
        "What the organisation may see as a STIX 2.1 bundle (application/stix+json;version=2.1): STIX items as they are, advisories as courses of action, owners as identities, each object carrying its TLP 2.0 marking, whose definitions are in the bundle.",
        "read",
        None,
        &[(200, "")],
        false,
    ),
    op(
        "get",
        "/api/v1/shared-items/{id}",
        "One shared item, if the organisation may see it (404 otherwise).",
        "read",
        None,
        &[(200, "SharedItem"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/shared-items/{id}/acknowledgements",
        "The organisation acknowledges an item shared with it (once; again changes nothing; its owner answers 409).",
        "comment",
        None,
        &[(204, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/shared-items/{id}/sightings",
        "Where a shared indicator was seen: the organisation's own sightings (with the incident), and for the indicator's source every organisation's whose observable is not TLP:RED (without the incident).",
        "read",
        None,
        &[(200, "SightingList"), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incidents/{id}/sightings",
        "The shared indicators that this incident's observables matched, among those the organisation may see.",
        "read",
        None,
        &[(200, "SightingList"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/incidents/{id}/summaries",
        "Share a summary of the incident in a community: the `summary` text written for it, and only what is ticked (`category`, `severity`, `impact`, `dates` as days) and the `observables` chosen by id, as an item of kind `incident-summary`. An observable marked more strictly than the summary is refused (422 naming it); nothing else of the incident leaves.",
        "edit",
        Some("NewSummary"),
        &[(201, "SharedItem"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/incidents/{id}/summaries",
        "The summaries shared of the incident, newest first.",
        "read",
        None,
        &[(200, "SharedItemList"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/shared-items/{id}/files",
        "Attach a file (the body, with its Content-Type; `?name=` gives its name) to an item of the organisation's own, such as a report's document: at most 20 per item, each at most the server's evidence size. Whoever may see the item may download it; `GET /api/v1/shared-items/{id}` lists them.",
        "edit",
        None,
        &[(201, "ItemFile"), (404, "Problem"), (413, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/shared-item-files/{id}",
        "A file of a shared item the organisation may see, as an attachment (404 otherwise: it does not exist for the organisation).",
        "read",
        None,
        &[(200, ""), (404, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/shared-items/{id}/correlations",
        "Other organisations' incident summaries holding an observable of this one, each with the observable: only those the organisation may see, and whose owner may see this one.",
        "read",
        None,
        &[(200, "CorrelationList"), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/advisories",
        "Publish an advisory to a community: severity, affected products, recommended actions and references, as a shared item of kind `advisory` under a TLP and a distribution.",
        "edit",
        Some("NewAdvisory"),
        &[(201, "SharedItem"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
];

fn sighting() -> Value {
    let named = object(&["id", "name"], json!({"id": string(), "name": string()}));
    object(
        &["indicator", "organisation", "observable", "seen_at"],
        json!({
            "indicator": object(&["id", "title", "owner", "tlp"], json!({"id": string(), "title": string(), "owner": string(), "tlp": tlp()})),
            "organisation": named,
            "incident_id": {"type": ["string", "null"], "description": "Only on the organisation's own sightings"},
            "observable": object(&["type", "value", "tlp"], json!({"type": string(), "value": string(), "tlp": tlp()})),
            "seen_at": time(),
        }),
    )
}

fn tlp() -> Value {
    json!({"type": "string", "enum": ["clear", "green", "amber", "amber+strict", "red"]})
}

fn distribution() -> Value {
    json!({"type": "string", "enum": ["organisation", "community", "connected", "all"]})
}

pub fn schemas() -> Value {
    let roles = json!({"type": "string", "enum": ["owner", "contributor", "reader"]});
    let community = object(
        &["id", "name", "role", "state"],
        json!({
            "id": string(), "name": string(), "description": string(), "role": roles,
            "state": {"type": "string", "enum": ["invited", "active"]}
        }),
    );
    let named = object(&["id", "name"], json!({"id": string(), "name": string()}));
    json!({
        "Community": community,
        "CommunityList": {"type": "array", "items": {"$ref": "#/components/schemas/Community"}},
        "NewCommunity": object(&["name"], json!({"name": {"type": "string", "maxLength": 120}, "description": {"type": "string", "maxLength": 4000}})),
        "MemberList": {"type": "array", "items": object(&["org_id", "name", "role", "state"], json!({"org_id": string(), "name": string(), "role": roles, "state": string()}))},
        "Invitation": object(&["org"], json!({"org": {"type": "string", "description": "The organisation's exact name"}, "role": roles})),
        "ClientBody": object(&["org"], json!({"org": {"type": "string", "description": "The client organisation's exact name"}})),
        "NewSharedItem": object(&["community_id", "kind", "title", "tlp", "distribution"], json!({
            "community_id": string(), "kind": {"type": "string", "description": "advisory, indicator, incident-summary, sighting, report, …"},
            "title": {"type": "string", "maxLength": 120}, "body": {"description": "Any JSON, at most 1 MiB: a STIX object, an advisory's fields"},
            "tlp": tlp(), "distribution": distribution(), "recipients": {"type": "array", "items": string(), "description": "TLP:RED only"}
        })),
        "SharedItem": object(&["id", "owner", "community", "kind", "title", "tlp", "distribution", "reach"], json!({
            "id": string(), "owner": named.clone(), "community": named, "kind": string(), "title": string(), "body": {},
            "tlp": tlp(), "distribution": distribution(),
            "reach": {"type": "string", "enum": ["organisation", "community", "connected", "all"], "description": "The distribution narrowed by the marking"},
            "created_by": string(), "created_at": time(),
            "acknowledgements": {"type": "array", "items": object(&["organisation", "by", "at"], json!({"organisation": string(), "by": string(), "at": time()}))}
        })),
        "SightingList": {"type": "array", "items": sighting()},
        "NewSummary": object(&["community_id", "title", "tlp", "distribution", "summary"], json!({
            "community_id": string(), "title": {"type": "string", "maxLength": 120}, "tlp": tlp(), "distribution": distribution(),
            "recipients": {"type": "array", "items": string(), "description": "TLP:RED only: the member organisations it is for"},
            "summary": {"type": "string", "maxLength": 8000}, "category": {"type": "boolean"}, "severity": {"type": "boolean"},
            "impact": {"type": "boolean"}, "dates": {"type": "boolean"},
            "observables": {"type": "array", "items": string(), "maxItems": 500, "description": "Ids of the incident's observables"}
        })),
        "ItemFile": object(&["id", "item_id", "name", "content_type", "size", "sha256", "download"], json!({
            "id": string(), "item_id": string(), "name": string(), "content_type": string(), "size": {"type": "integer"},
            "sha256": string(), "added_by": string(), "added_at": time(), "download": string()
        })),
        "CorrelationList": {"type": "array", "items": object(&["item_id", "title", "owner", "kind", "value"], json!({
            "item_id": string(), "title": string(), "owner": string(), "kind": string(), "value": string(), "created_at": time()
        }))},
        "CommunityRefList": {"type": "array", "items": object(&["id", "name"], json!({"id": string(), "name": string()}))},
        "ConnectionBody": object(&["community_id"], json!({"community_id": {"type": "string", "description": "The other community, which the organisation also owns"}})),
        "NewAdvisory": object(&["community_id", "title", "severity", "actions", "tlp", "distribution"], json!({
            "community_id": string(), "title": {"type": "string", "maxLength": 120},
            "severity": {"type": "string", "enum": ["low", "medium", "high", "critical"]},
            "affected": {"type": "array", "items": string()}, "actions": {"type": "string", "maxLength": 8000},
            "references": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "tlp": tlp(), "distribution": distribution(), "recipients": {"type": "array", "items": string()}
        })),
        "SharedItemList": {"type": "array", "items": {"$ref": "#/components/schemas/SharedItem"}},
    })
}
