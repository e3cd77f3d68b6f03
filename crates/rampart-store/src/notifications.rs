//! Notification channels and the outbox. A change that notifies writes its
//! deliveries in its own transaction (`enqueue`), so a notification exists
//! exactly when the change does; a worker claims due deliveries with a lease
//! (so several servers never send one twice at once), and records each
//! attempt: delivered, or retried with backoff until it fails for good.
//! Events that time causes (clocks falling due, acceptances expiring) are
//! found by `sweep_timed_events`, each sent once thanks to a mark.

use rampart_domain::audit::AuditEvent;
use rampart_domain::new_id;
use rampart_domain::notification::{
    ChannelKind, DeliveryState, MAX_ATTEMPTS, NewChannel, NotificationEvent, backoff_ms,
};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ChangeContext, Result, Store, StoreError, audit, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub kind: ChannelKind,
    pub target: String,
    pub events: Vec<NotificationEvent>,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: i64,
}

/// One delivery of one event to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: String,
    pub channel_id: String,
    pub channel_name: String,
    pub event: NotificationEvent,
    pub subject: String,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A delivery the worker claimed, with what it needs to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub org_id: String,
    pub kind: ChannelKind,
    pub target: String,
    pub secret: String,
    pub event: NotificationEvent,
    pub subject: String,
    pub payload: Value,
    pub attempts: u32,
    pub created_at: i64,
}

fn channel_from(r: &AnyRow) -> Result<Channel> {
    let events: String = r.try_get("events")?;
    Ok(Channel {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: ChannelKind::parse(&r.try_get::<String, _>("kind")?)?,
        target: r.try_get("target")?,
        events: events.split_whitespace().map(NotificationEvent::parse).collect::<std::result::Result<_, _>>()?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

fn notification_from(r: &AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id")?,
        channel_id: r.try_get("channel_id")?,
        channel_name: r.try_get("channel_name")?,
        event: NotificationEvent::parse(&r.try_get::<String, _>("event")?)?,
        subject: r.try_get("subject")?,
        state: DeliveryState::parse(&r.try_get::<String, _>("state")?)?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

/// Queues `event` for every enabled channel of the organisation that
/// subscribes to it (or for `only` that channel), in the caller's transaction.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    org_id: &str,
    (event, only): (NotificationEvent, Option<&str>),
    subject: &str,
    payload: &Value,
) -> Result<u64> {
    let rows = sqlx::query(
        "SELECT id, events FROM notification_channels WHERE org_id = $1 AND enabled = 1 AND ($2 IS NULL OR id = $2)",
    )
    .bind(org_id)
    .bind(only)
    .fetch_all(&mut **tx)
    .await?;
    let now = now_ms();
    let mut queued = 0;
    for r in &rows {
        let events: String = r.try_get("events")?;
        if only.is_none() && !events.split_whitespace().any(|e| e == event.as_str()) {
            continue;
        }
        sqlx::query(
            "INSERT INTO notification_outbox (id, org_id, channel_id, event, subject, payload, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
        )
        .bind(new_id())
        .bind(org_id)
        .bind(r.try_get::<String, _>("id")?)
        .bind(event.as_str())
        .bind(subject.chars().take(200).collect::<String>())
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        queued += 1;
    }
    Ok(queued)
}

/// An incident as notifications carry it.
pub(crate) fn incident_payload(i: &crate::Incident) -> Value {
    json!({"id": i.id, "title": i.fields.title, "severity": i.fields.severity, "category": i.fields.category, "state": i.state})
}

impl Store {
    /// Adds a channel; answers it with the webhook signing secret, shown once.
    pub async fn create_channel(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        new: NewChannel,
    ) -> Result<(Channel, String)> {
        let new = new.check()?;
        let id = new_id();
        let secret = rampart_domain::credentials::random_hex(32);
        let events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO notification_channels (id, org_id, name, kind, target, secret, events, enabled, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(&new.name)
        .bind(new.kind.as_str())
        .bind(&new.target)
        .bind(&secret)
        .bind(events.join(" "))
        .bind(&ctx.actor)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let state = json!({"name": new.name, "kind": new.kind, "target": new.target, "events": events});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("notification.channel.create", "notification_channel", &id, Some(&state)),
        )
        .await?;
        let row =
            sqlx::query("SELECT * FROM notification_channels WHERE id = $1").bind(&id).fetch_one(&mut *tx).await?;
        let channel = channel_from(&row)?;
        tx.commit().await?;
        Ok((channel, secret))
    }

    pub async fn channels(&self, org_id: &str) -> Result<Vec<Channel>> {
        let rows = sqlx::query("SELECT * FROM notification_channels WHERE org_id = $1 ORDER BY name, id")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(channel_from).collect()
    }

    /// Pauses or resumes a channel: a paused one gets no new deliveries.
    pub async fn set_channel_enabled(&self, ctx: &ChangeContext, org_id: &str, id: &str, enabled: bool) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE notification_channels SET enabled = $1 WHERE org_id = $2 AND id = $3")
            .bind(i64::from(enabled))
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        let state = json!({"enabled": enabled});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("notification.channel.update", "notification_channel", id, Some(&state)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a channel and its deliveries.
    pub async fn delete_channel(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM notification_outbox WHERE org_id = $1 AND channel_id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM notification_channels WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("notification.channel.delete", "notification_channel", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a test delivery to one channel (enabled or not is its own business: a paused one is refused).
    pub async fn send_test_notification(&self, ctx: &ChangeContext, org_id: &str, channel_id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let payload = json!({"message": "A test from Rampart: this channel works.", "sent_by": ctx.actor});
        let queued = enqueue(
            &mut tx,
            org_id,
            (NotificationEvent::Test, Some(channel_id)),
            "Rampart test notification",
            &payload,
        )
        .await?;
        if queued == 0 {
            let exists: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM notification_channels WHERE org_id = $1 AND id = $2")
                    .bind(org_id)
                    .bind(channel_id)
                    .fetch_one(&mut *tx)
                    .await?;
            return Err(if exists == 0 {
                StoreError::NotFound
            } else {
                StoreError::Conflict("the channel is paused: resume it to send a test".into())
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// The organisation's most recent deliveries, newest first.
    pub async fn notifications(&self, org_id: &str, limit: i64) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT o.*, c.name AS channel_name FROM notification_outbox o JOIN notification_channels c ON c.id = o.channel_id \
             WHERE o.org_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification_from).collect()
    }

    /// Sends a delivery again at once (a failed one gets a fresh set of attempts).
    pub async fn retry_notification(&self, ctx: &ChangeContext, org_id: &str, id: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE notification_outbox SET next_attempt_at = $1, lease_until = NULL, \
             attempts = CASE WHEN state = 'failed' THEN 0 ELSE attempts END, state = CASE WHEN state = 'failed' THEN 'pending' ELSE state END \
             WHERE org_id = $2 AND id = $3 AND state <> 'delivered'",
        )
        .bind(now_ms())
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        crate::found(done)?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("notification.retry", "notification", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` deliveries due at `now`, across organisations,
    /// each leased for `lease_ms` so no other worker takes it meanwhile.
    pub async fn claim_due_notifications(&self, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT o.id, o.org_id, o.event, o.subject, o.payload, o.attempts, o.created_at, c.kind, c.target, c.secret \
             FROM notification_outbox o JOIN notification_channels c ON c.id = o.channel_id \
             WHERE o.state = 'pending' AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1) \
             ORDER BY o.next_attempt_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for r in &rows {
            let id: String = r.try_get("id")?;
            let taken = sqlx::query(
                "UPDATE notification_outbox SET lease_until = $1 WHERE id = $2 AND state = 'pending' AND (lease_until IS NULL OR lease_until < $3)",
            )
            .bind(now + lease_ms)
            .bind(&id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            if taken.rows_affected() != 1 {
                continue; // another worker took it first
            }
            claimed.push(Delivery {
                id,
                org_id: r.try_get("org_id")?,
                kind: ChannelKind::parse(&r.try_get::<String, _>("kind")?)?,
                target: r.try_get("target")?,
                secret: r.try_get("secret")?,
                event: NotificationEvent::parse(&r.try_get::<String, _>("event")?)?,
                subject: r.try_get("subject")?,
                payload: serde_json::from_str(&r.try_get::<String, _>("payload")?).unwrap_or(Value::Null),
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
                created_at: r.try_get("created_at")?,
            });
        }
        Ok(claimed)
    }

    /// Records one attempt: delivered, or failed with the reason (retried
    /// after the backoff, or failed for good after the last attempt).
    pub async fn record_delivery_attempt(
        &self,
        id: &str,
        outcome: std::result::Result<(), String>,
        now: i64,
    ) -> Result<DeliveryState> {
        let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM notification_outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let attempts = u32::try_from(attempts + 1).unwrap_or(MAX_ATTEMPTS);
        let (state, next, error) = match outcome {
            Ok(()) => (DeliveryState::Delivered, now, None),
            Err(e) if attempts >= MAX_ATTEMPTS => (DeliveryState::Failed, now, Some(e)),
            Err(e) => (DeliveryState::Pending, now + backoff_ms(attempts), Some(e)),
        };
        sqlx::query(
            "UPDATE notification_outbox SET state = $1, attempts = $2, next_attempt_at = $3, lease_until = NULL, last_error = $4, \
             delivered_at = CASE WHEN $1 = 'delivered' THEN $5 ELSE delivered_at END WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(i64::from(attempts))
        .bind(next)
        .bind(error.map(|e| e.chars().take(500).collect::<String>()))
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(state)
    }

    /// Queues the events that time causes, once each: reporting clocks that
    /// fell due soon or overdue, and risk acceptances entering their
    /// reminder period or expiring. Answers how many deliveries it queued.
    pub async fn sweep_timed_events(&self) -> Result<u64> {
        let orgs: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT org_id FROM notification_channels WHERE enabled = 1")
                .fetch_all(&self.pool)
                .await?;
        let mut queued = 0;
        for org in orgs {
            let mut found: Vec<(String, NotificationEvent, String, Value)> = Vec::new();
            for d in self.deadlines(&org).await? {
                let o = &d.obligation;
                let event = match o.state {
                    rampart_domain::regulatory::ObligationState::DueSoon => NotificationEvent::ClockDueSoon,
                    rampart_domain::regulatory::ObligationState::Overdue => NotificationEvent::ClockOverdue,
                    _ => continue,
                };
                let mark = format!("clock:{}:{}:{}:{}", d.incident.id, o.regime, o.obligation, o.state);
                let when = if event == NotificationEvent::ClockOverdue { "is overdue" } else { "is due soon" };
                let subject = format!("{} {when}: {}", o.name, d.incident.title);
                let payload = json!({
                    "incident": {"id": d.incident.id, "title": d.incident.title, "severity": d.severity, "state": d.state},
                    "regime": o.regime, "obligation": o.obligation, "name": o.name, "due_at": o.due_at.map(crate::rfc3339), "state": o.state
                });
                found.push((mark, event, subject, payload));
            }
            let now = now_ms();
            for a in self.acceptance_queue(&org, crate::AcceptanceQueue::ExpiringOrExpired).await? {
                let term = match a.term(now) {
                    Some(rampart_domain::risk::AcceptanceTerm::Expired) => "expired",
                    _ => "expiring soon",
                };
                let mark = format!("acceptance:{}:{term}", a.id);
                let subject = format!("Risk acceptance {term}: {}", a.scenario_name);
                let payload = json!({"acceptance": {"id": a.id, "scenario_id": a.scenario_id, "scenario": a.scenario_name,
                                     "expires_at": crate::rfc3339(a.expires_at), "approver": a.approver_email}, "term": term});
                found.push((mark, NotificationEvent::AcceptanceExpiring, subject, payload));
            }
            for (mark, event, subject, payload) in found {
                let mut tx = self.write_tx().await?;
                let fresh = sqlx::query("INSERT INTO notification_marks (org_id, mark, marked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(&org)
                    .bind(&mark)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if fresh.rows_affected() == 1 {
                    queued += enqueue(&mut tx, &org, (event, None), &subject, &payload).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(queued)
    }
}
