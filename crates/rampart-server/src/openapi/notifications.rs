//! Notification channels and the outbox.

use serde_json::{Value, json};

use super::{Operation, object, op, string, time};

pub const OPERATIONS: &[Operation] = &[
    op(
        "get",
        "/api/v1/notification-channels",
        "The organisation's notification channels.",
        "admin",
        None,
        &[(200, "ChannelList")],
        false,
    ),
    op(
        "post",
        "/api/v1/notification-channels",
        "Add a channel: a webhook (JSON POST signed with HMAC-SHA256 in X-Rampart-Signature-256; the answer holds its `secret`, shown this once) or e-mail addresses (sent through the server's --smtp-url), for the chosen events.",
        "admin",
        Some("NewChannel"),
        &[(201, "Channel"), (422, "Problem")],
        false,
    ),
    op(
        "patch",
        "/api/v1/notification-channels/{id}",
        "Pause (`enabled: false`) or resume a channel; a paused one gets no new deliveries.",
        "admin",
        Some("ChannelChange"),
        &[(204, ""), (404, "Problem"), (422, "Problem")],
        false,
    ),
    op(
        "delete",
        "/api/v1/notification-channels/{id}",
        "Remove a channel and its deliveries.",
        "admin",
        None,
        &[(204, ""), (404, "Problem")],
        false,
    ),
    op(
        "post",
        "/api/v1/notification-channels/{id}/test",
        "Queue a test delivery to the channel (409 when it is paused).",
        "admin",
        None,
        &[(202, ""), (404, "Problem"), (409, "Problem")],
        false,
    ),
    op(
        "get",
        "/api/v1/notifications",
        "The outbox: the most recent 500 deliveries, newest first, with their state, attempts and last error.",
        "admin",
        None,
        &[(200, "NotificationList")],
        false,
    ),
    op(
        "post",
        "/api/v1/notifications/{id}/retry",
        "Send a delivery again now; a failed one gets a fresh set of attempts. A delivered one answers 404.",
        "admin",
        None,
        &[(202, ""), (404, "Problem")],
        false,
    ),
];

fn events() -> Value {
    json!({"type": "string", "enum": ["incident-created", "incident-state", "task-assigned", "clock-due-soon", "clock-overdue", "acceptance-expiring", "test"]})
}

pub fn schemas() -> Value {
    let kind = json!({"type": "string", "enum": ["webhook", "email"]});
    json!({
        "NewChannel": object(&["name", "kind", "target", "events"], json!({
            "name": {"type": "string", "maxLength": 120}, "kind": kind,
            "target": {"type": "string", "description": "The webhook's http(s) address, or up to 20 e-mail addresses separated by commas"},
            "events": {"type": "array", "items": events(), "minItems": 1}
        })),
        "Channel": object(&["id", "name", "kind", "target", "events", "enabled"], json!({
            "id": string(), "name": string(), "kind": kind, "target": string(), "events": {"type": "array", "items": events()},
            "enabled": {"type": "boolean"}, "created_by": string(), "created_at": time(),
            "secret": {"type": "string", "description": "The webhook signing secret: in the answer to creating it only"}
        })),
        "ChannelList": {"type": "array", "items": {"$ref": "#/components/schemas/Channel"}},
        "ChannelChange": object(&["enabled"], json!({"enabled": {"type": "boolean"}})),
        "NotificationList": {"type": "array", "items": object(&["id", "channel_id", "event", "subject", "state", "attempts"], json!({
            "id": string(), "channel_id": string(), "channel_name": string(), "event": events(), "subject": string(),
            "state": {"type": "string", "enum": ["pending", "delivered", "failed"]}, "attempts": {"type": "integer"},
            "next_attempt_at": time(), "last_error": {"type": ["string", "null"]}, "created_at": time(),
            "delivered_at": {"type": ["string", "null"], "format": "date-time"}
        }))},
    })
}
