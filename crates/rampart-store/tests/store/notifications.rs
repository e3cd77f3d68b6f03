//! Notifications: channels, the outbox written with each change, leases,
//! retries with backoff, and events that time causes sent once.

use rampart_domain::notification::{
    ChannelKind, DeliveryState, MAX_ATTEMPTS, NewChannel, NotificationEvent, backoff_ms,
};
use rampart_store::{Store, StoreError, now_ms, store_test};

use crate::incidents::fields;
use crate::{ctx, org_with_admin};

const HOUR: i64 = 3_600_000;

pub fn webhook(events: &[NotificationEvent]) -> NewChannel {
    NewChannel {
        name: "SOAR".into(),
        kind: ChannelKind::Webhook,
        target: "https://soar.example/hooks/rampart".into(),
        events: events.to_vec(),
    }
}

async fn pending(store: &Store, org: &str) -> Vec<rampart_store::Notification> {
    store.notifications(org, 100).await.unwrap().into_iter().filter(|n| n.state == DeliveryState::Pending).collect()
}

store_test!(a_change_queues_its_notifications_in_its_own_transaction, |store| {
    use NotificationEvent::*;
    let (org, _) = org_with_admin(store, "Alpha").await;
    let (channel, secret) =
        store.create_channel(&ctx(), &org, webhook(&[IncidentCreated, IncidentState])).await.unwrap();
    assert_eq!(secret.len(), 64, "a signing secret, shown once");
    let (mail, _) = store
        .create_channel(
            &ctx(),
            &org,
            NewChannel {
                name: "CISO".into(),
                kind: ChannelKind::Email,
                target: "ciso@alpha.example".into(),
                events: vec![TaskAssigned],
            },
        )
        .await
        .unwrap();
    let i = store.create_incident(&ctx(), &org, fields("Ransomware", now_ms()), &[]).await.unwrap();
    store.transition_incident(&ctx(), &org, &i.id, rampart_domain::incident::IncidentState::Triage, "").await.unwrap();
    let queued = pending(store, &org).await;
    let events: Vec<NotificationEvent> = queued.iter().map(|n| n.event).collect();
    assert_eq!(events, [IncidentState, IncidentCreated], "newest first, only to the channel that subscribes");
    assert!(queued.iter().all(|n| n.channel_id == channel.id));
    assert_eq!(queued[1].subject, "New incident (severity 3): Ransomware");

    // A refused change queues nothing.
    let refused =
        store.transition_incident(&ctx(), &org, &i.id, rampart_domain::incident::IncidentState::Closed, "").await;
    assert!(refused.is_err());
    assert_eq!(pending(store, &org).await.len(), 2);

    store.set_channel_enabled(&ctx(), &org, &channel.id, false).await.unwrap();
    store.create_incident(&ctx(), &org, fields("Phishing", now_ms()), &[]).await.unwrap();
    assert_eq!(pending(store, &org).await.len(), 2, "a paused channel gets nothing new");
    assert!(matches!(store.send_test_notification(&ctx(), &org, &channel.id).await, Err(StoreError::Conflict(_))));
    store.send_test_notification(&ctx(), &org, &mail.id).await.unwrap();
    assert_eq!(pending(store, &org).await[0].event, Test);

    let (other, _) = org_with_admin(store, "Beta").await;
    assert!(store.notifications(&other, 100).await.unwrap().is_empty(), "one organisation's outbox only");
    assert!(matches!(store.delete_channel(&ctx(), &other, &channel.id).await, Err(StoreError::NotFound)));
    assert!(matches!(store.send_test_notification(&ctx(), &other, &mail.id).await, Err(StoreError::NotFound)));
    store.delete_channel(&ctx(), &org, &channel.id).await.unwrap();
    assert_eq!(store.notifications(&org, 100).await.unwrap().len(), 1, "the channel's deliveries go with it");
});

store_test!(deliveries_are_leased_retried_with_backoff_and_given_up, |store| {
    let (org, _) = org_with_admin(store, "Alpha").await;
    store.create_channel(&ctx(), &org, webhook(&[NotificationEvent::IncidentCreated])).await.unwrap();
    store.create_incident(&ctx(), &org, fields("Ransomware", now_ms()), &[]).await.unwrap();
    let now = now_ms();
    let claimed = store.claim_due_notifications(now, 60_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].payload["incident"]["title"], "Ransomware");
    assert!(
        store.claim_due_notifications(now, 60_000, 10).await.unwrap().is_empty(),
        "leased: no second worker takes it"
    );
    let id = claimed[0].id.clone();
    let state = store.record_delivery_attempt(&id, Err("503 from the receiver".into()), now).await.unwrap();
    assert_eq!(state, DeliveryState::Pending);
    let n = store.notifications(&org, 1).await.unwrap().remove(0);
    assert_eq!(
        (n.attempts, n.next_attempt_at, n.last_error.as_deref()),
        (1, now + backoff_ms(1), Some("503 from the receiver"))
    );
    assert!(store.claim_due_notifications(now + 1_000, 60_000, 10).await.unwrap().is_empty(), "not before its backoff");
    for attempt in 2..=MAX_ATTEMPTS {
        let later = now + i64::from(attempt) * 7 * HOUR;
        assert_eq!(store.claim_due_notifications(later, 60_000, 10).await.unwrap().len(), 1);
        store.record_delivery_attempt(&id, Err("still down".into()), later).await.unwrap();
    }
    let n = store.notifications(&org, 1).await.unwrap().remove(0);
    assert_eq!((n.state, n.attempts), (DeliveryState::Failed, MAX_ATTEMPTS));
    assert!(store.claim_due_notifications(now + 1000 * HOUR, 60_000, 10).await.unwrap().is_empty());
    store.retry_notification(&ctx(), &org, &id).await.unwrap();
    let again = store.claim_due_notifications(now_ms() + 1, 60_000, 10).await.unwrap();
    assert_eq!(again.len(), 1, "a retry asked for by hand starts afresh");
    assert_eq!(store.record_delivery_attempt(&id, Ok(()), now_ms()).await.unwrap(), DeliveryState::Delivered);
    let n = store.notifications(&org, 1).await.unwrap().remove(0);
    assert!(n.delivered_at.is_some() && n.state == DeliveryState::Delivered);
    assert!(
        matches!(store.retry_notification(&ctx(), &org, &id).await, Err(StoreError::NotFound)),
        "delivered stays delivered"
    );
});

store_test!(clocks_falling_due_are_notified_once, |store| {
    use NotificationEvent::*;
    let (org, _) = org_with_admin(store, "Alpha").await;
    store.create_channel(&ctx(), &org, webhook(&[ClockDueSoon, ClockOverdue])).await.unwrap();
    // Aware 30 hours ago under NIS2: the early warning (24 h) is overdue, the notification (72 h) not yet due soon.
    store.create_incident(&ctx(), &org, fields("Ransomware", now_ms() - 30 * HOUR), &["nis2".into()]).await.unwrap();
    assert_eq!(store.sweep_timed_events().await.unwrap(), 1);
    assert_eq!(store.sweep_timed_events().await.unwrap(), 0, "once, however often the sweep runs");
    let n = store.notifications(&org, 10).await.unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].event, ClockOverdue);
    assert!(n[0].subject.starts_with("NIS2 early warning") && n[0].subject.ends_with("is overdue: Ransomware"));
});
