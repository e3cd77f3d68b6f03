//! Notifications: the channels an organisation is told through (webhooks and
//! e-mail), the events that tell them, and the retry schedule of the outbox
//! that delivers them at least once.

use serde::{Deserialize, Serialize};

use crate::Invalid;

named_enum! {
    /// What happened, as a channel subscribes to it.
    NotificationEvent, "events" {
        /// An incident was recorded (by an analyst or through the public report page).
        IncidentCreated => "incident-created",
        /// An incident moved along its lifecycle.
        IncidentState => "incident-state",
        /// A task of an incident was given to someone.
        TaskAssigned => "task-assigned",
        /// A reporting obligation entered the last quarter of its window.
        ClockDueSoon => "clock-due-soon",
        /// A reporting obligation passed its due time unsubmitted.
        ClockOverdue => "clock-overdue",
        /// A risk acceptance entered its reminder period, or expired.
        AcceptanceExpiring => "acceptance-expiring",
        /// Sent by hand from the channel's settings.
        Test => "test",
    }
}

named_enum! {
    /// How a channel delivers.
    ChannelKind, "kind" {
        /// An HTTP POST of JSON, signed with HMAC-SHA256.
        Webhook => "webhook",
        /// A message through the instance's SMTP server.
        Email => "email",
    }
}

named_enum! {
    /// Where a delivery stands.
    DeliveryState, "state" {
        Pending => "pending",
        Delivered => "delivered",
        /// Every attempt failed; retried only when someone asks.
        Failed => "failed",
    }
}

/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: u32 = 10;
/// Addresses one e-mail channel may send to.
pub const MAX_RECIPIENTS: usize = 20;

/// How long to wait after the `attempts`-th failed attempt: 30 seconds,
/// doubling each time, at most six hours; the ten attempts span about four
/// hours and a quarter.
pub fn backoff_ms(attempts: u32) -> i64 {
    let doubled = 30_000i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    doubled.min(6 * 3_600_000)
}

/// A channel as an admin sets it up, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChannel {
    pub name: String,
    pub kind: ChannelKind,
    /// A webhook's URL, or an e-mail channel's addresses (comma-separated).
    pub target: String,
    pub events: Vec<NotificationEvent>,
}

impl NewChannel {
    pub fn check(mut self) -> Result<NewChannel, Invalid> {
        self.name = crate::validate::name("name", &self.name)?;
        self.target = match self.kind {
            ChannelKind::Webhook => crate::validate::http_url("target", &self.target, "the webhook's")?,
            ChannelKind::Email => {
                let addresses: Vec<&str> = self.target.split([',', ';', ' ']).filter(|a| !a.is_empty()).collect();
                if addresses.is_empty() || addresses.len() > MAX_RECIPIENTS {
                    return Err(Invalid::new("target", format!("give 1 to {MAX_RECIPIENTS} e-mail addresses")));
                }
                let checked = addresses
                    .iter()
                    .map(|a| crate::validate::email(a).map_err(|e| Invalid::new("target", e.reason)))
                    .collect::<Result<Vec<_>, _>>()?;
                checked.join(", ")
            }
        };
        self.events.retain(|e| *e != NotificationEvent::Test);
        self.events.sort_by_key(|e| e.as_str());
        self.events.dedup();
        if self.events.is_empty() {
            return Err(Invalid::new("events", "choose at least one event"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_six_hours() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(5), 480_000);
        assert_eq!(backoff_ms(MAX_ATTEMPTS - 1), 7_680_000);
        assert_eq!(backoff_ms(12), 6 * 3_600_000);
        assert_eq!(backoff_ms(u32::MAX), 6 * 3_600_000);
    }

    #[test]
    fn a_channel_is_checked_for_its_kind() {
        let hook = NewChannel {
            name: "SOAR".into(),
            kind: ChannelKind::Webhook,
            target: " https://soar.example/hooks/rampart ".into(),
            events: vec![NotificationEvent::IncidentCreated, NotificationEvent::IncidentCreated],
        };
        let checked = hook.clone().check().unwrap();
        assert_eq!((checked.target.as_str(), checked.events.len()), ("https://soar.example/hooks/rampart", 1));
        let bad = NewChannel { target: "ftp://x".into(), ..hook.clone() };
        assert_eq!(bad.check().unwrap_err().field, "target");
        assert_eq!(NewChannel { events: vec![], ..hook.clone() }.check().unwrap_err().field, "events");
        let mail = NewChannel { kind: ChannelKind::Email, target: "SOC@Example.org; ciso@example.org".into(), ..hook };
        assert_eq!(mail.clone().check().unwrap().target, "soc@example.org, ciso@example.org");
        assert_eq!(NewChannel { target: "not an address".into(), ..mail }.check().unwrap_err().field, "target");
    }
}
