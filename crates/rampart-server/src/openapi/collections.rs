//! STIX collections and TAXII subscriptions.

use serde_json::{Value, json};

use super::{NONE, Operation, object, op, string, time};

pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/collections",
        "The STIX collections the organisation keeps (with their counts) or reads through its communities, and where TAXII serves each.",
        "viewer",
        None,
        &[(200, "CollectionList")],
        false,
    ),
    op(
        "post",
        "/api/v1/collections",
        "Create a collection of the organisation's own, or one it keeps for a community it owns or contributes to (`community_id`).",
        "analyst",
        Some("NewCollection"),
        &[(201, "StixCollection"), (404, "Problem"), (409, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/taxii-subscriptions",
        "The organisation's subscriptions to remote TAXII 2.1 collections, newest first (never their credentials).",
        "viewer",
        None,
        &[(200, "SubscriptionList")],
        false,
    ),
    op(
        "post",
        "/api/v1/taxii-subscriptions",
        "Subscribe one of the organisation's collections to a remote TAXII 2.1 collection. The password or token is sealed (AES-256-GCM under the instance's secret key) before it is stored and is never answered. With `pull_every_minutes` above 0 the server pulls on that schedule, the first time at once.",
        "admin",
        Some("NewSubscription"),
        &[(201, "Subscription"), (422, "Problem"), (503, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/taxii-subscriptions/{id}",
        "A subscription with its latest 50 pulls: when, how many pages and versions, the cursor before and after, and why a failed one failed.",
        "viewer",
        None,
        &[(200, "SubscriptionDetail"), (404, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/taxii-subscriptions/{id}",
        "End a subscription and forget its credential; what it pulled, and the record of its pulls, stay.",
        "admin",
        None,
        NONE,
        false,
    ),
    op(
        "post",
        "/api/v1/taxii-subscriptions/{id}/pull",
        "Pull now: fetch what the remote collection added after the subscription's cursor, following `next`; each page is kept with the new cursor in one transaction. A remote failure is answered in the pull's `error` (200); 409 when a pull is already running.",
        "admin",
        None,
        &[(200, "Pull"), (404, "Problem"), (409, "Problem")],
        false,
    ),
];

pub fn schemas() -> Value {
    let nullable = json!({"type": ["string", "null"]});
    let nullable_time = json!({"type": ["string", "null"], "format": "date-time"});
    let count = json!({"type": "integer"});
    let subscription = json!({
        "id": string(), "title": string(), "collection_id": string(), "collection_title": string(),
        "api_root": string(), "remote_collection": string(), "objects_url": string(),
        "auth_kind": {"type": "string", "enum": ["none", "basic", "bearer"]}, "username": nullable,
        "pull_every_minutes": count, "next_pull_at": nullable_time, "added_after": nullable,
        "last_pull_at": nullable_time, "last_error": nullable, "created_by": string(), "created_at": time()
    });
    let mut detail = subscription.clone();
    detail["pulls"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Pull"}});
    json!({
        "NewCollection": object(&["title"], json!({
            "title": {"type": "string", "maxLength": 120}, "description": {"type": "string", "maxLength": 4000},
            "community_id": nullable
        })),
        "StixCollection": object(&["id", "title", "own", "can_write", "taxii_path"], json!({
            "id": string(), "title": string(), "description": string(), "community_id": nullable,
            "own": {"type": "boolean"}, "can_write": {"type": "boolean"},
            "versions": {"type": ["integer", "null"]}, "objects": {"type": ["integer", "null"]},
            "taxii_path": string(), "created_at": time()
        })),
        "CollectionList": {"type": "array", "items": {"$ref": "#/components/schemas/StixCollection"}},
        "NewSubscription": object(&["title", "api_root", "remote_collection", "collection", "auth"], json!({
            "title": {"type": "string", "maxLength": 120},
            "api_root": {"type": "string", "description": "The remote API root, such as https://cti.example/api1/"},
            "remote_collection": {"type": "string", "maxLength": 200},
            "collection": {"type": "string", "description": "The local collection the objects go to"},
            "auth": {"oneOf": [
                object(&["kind"], json!({"kind": {"const": "none"}})),
                object(&["kind", "username", "password"], json!({"kind": {"const": "basic"}, "username": string(), "password": {"type": "string", "writeOnly": true}})),
                object(&["kind", "token"], json!({"kind": {"const": "bearer"}, "token": {"type": "string", "writeOnly": true}}))
            ]},
            "pull_every_minutes": {"type": "integer", "description": "0 (only when asked) or 5 to 10080", "default": 0}
        })),
        "Subscription": object(&["id", "title", "objects_url", "auth_kind"], subscription),
        "SubscriptionList": {"type": "array", "items": {"$ref": "#/components/schemas/Subscription"}},
        "SubscriptionDetail": object(&["id", "pulls"], detail),
        "Pull": object(&["id", "subscription_id", "source_url", "started_at", "pages", "added", "present", "refused"], json!({
            "id": string(), "subscription_id": string(), "collection_id": string(), "source_url": string(),
            "started_at": time(), "finished_at": nullable_time, "pages": count, "added": count, "present": count,
            "refused": count, "added_after_from": nullable, "added_after_to": nullable,
            "error": {"type": ["string", "null"], "description": "Why the remote server failed the pull; null when it succeeded"}
        })),
    })
}
