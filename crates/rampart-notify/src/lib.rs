//! Rampart's notification worker: takes due deliveries from the outbox and
//! sends them, as signed webhooks (JSON, HMAC-SHA256) or as e-mail through
//! the instance's SMTP server, and records each attempt, so the store can
//! retry with backoff. Several servers may run a worker each: deliveries are
//! leased, and the timed events are marked, so none is sent twice at once.
//!
//! Delivery is at least once: a worker that stops between sending and
//! recording sends again after the lease. Receivers drop duplicates by the
//! `X-Rampart-Delivery` id.

mod email;
mod webhook;

use std::time::Duration;

use rampart_store::{Delivery, Store, now_ms};

pub use email::{Smtp, SmtpError};
pub use webhook::{SIGNATURE_HEADER, sign};

/// How long a claimed delivery is kept from other workers.
const LEASE_MS: i64 = 120_000;
/// Deliveries one pass takes at most.
const BATCH: i64 = 50;

/// What the worker sends with.
#[derive(Clone)]
pub struct Notifier {
    store: Store,
    http: webhook::Client,
    smtp: Option<Smtp>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").field("smtp", &self.smtp.is_some()).finish()
    }
}

impl Notifier {
    /// `smtp` is `None` when the instance has no mail server: e-mail
    /// deliveries then fail with a reason saying so (and are retried, so
    /// configuring one later delivers them).
    pub fn new(store: Store, smtp: Option<Smtp>) -> Notifier {
        Notifier { store, http: webhook::client(), smtp }
    }

    /// Sends every delivery due now, once each; answers how many were delivered.
    pub async fn deliver_due(&self) -> rampart_store::Result<usize> {
        let mut delivered = 0;
        loop {
            let batch = self.store.claim_due_notifications(now_ms(), LEASE_MS, BATCH).await?;
            if batch.is_empty() {
                return Ok(delivered);
            }
            for d in batch {
                let outcome = self.send(&d).await;
                if let Err(reason) = &outcome {
                    tracing::warn!(delivery = %d.id, event = %d.event, attempt = d.attempts + 1, reason, "a notification was not delivered");
                }
                let ok = outcome.is_ok();
                self.store.record_delivery_attempt(&d.id, outcome, now_ms()).await?;
                delivered += usize::from(ok);
            }
        }
    }

    async fn send(&self, d: &Delivery) -> Result<(), String> {
        match d.kind {
            rampart_domain::notification::ChannelKind::Webhook => webhook::send(&self.http, d).await,
            rampart_domain::notification::ChannelKind::Email => match &self.smtp {
                Some(smtp) => smtp.send(d).await,
                None => Err("no SMTP server is configured: start the server with --smtp-url".into()),
            },
        }
    }

    /// Runs until `shutdown` completes: delivers due notifications every few
    /// seconds and looks for timed events (clocks, acceptances) every minute.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut deliver = tokio::time::interval(Duration::from_secs(5));
        let mut sweep = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = sweep.tick() => {
                    if let Err(e) = self.store.sweep_timed_events().await {
                        tracing::error!(error = %e, "cannot look for due clocks and expiring acceptances");
                    }
                }
                _ = deliver.tick() => {
                    if let Err(e) = self.deliver_due().await {
                        tracing::error!(error = %e, "cannot deliver notifications");
                    }
                }
            }
        }
    }
}

/// The JSON a delivery carries: its id, event, subject, when it was queued,
/// and the event's data.
fn document(d: &Delivery) -> serde_json::Value {
    serde_json::json!({
        "id": d.id, "event": d.event, "subject": d.subject, "organisation_id": d.org_id,
        "queued_at": rampart_store::rfc3339(d.created_at), "data": d.payload
    })
}
