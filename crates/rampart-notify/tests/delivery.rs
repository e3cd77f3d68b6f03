//! The worker against real peers on loopback: a webhook receiver that checks
//! the signature (and fails the first attempt), and an SMTP sink that keeps
//! what it was sent. Each test runs on SQLite and on PostgreSQL.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use rampart_domain::notification::{ChannelKind, DeliveryState, NewChannel, NotificationEvent};
use rampart_domain::{OrgKind, Role};
use rampart_notify::{Notifier, SIGNATURE_HEADER, Smtp, sign};
use rampart_store::{ChangeContext, Store, store_test};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn ctx() -> ChangeContext {
    ChangeContext::new("analyst@alpha.example", "req-test")
}

async fn org(store: &Store) -> String {
    let org = store.create_org(&ctx(), "Alpha", OrgKind::Provider, None).await.unwrap();
    store.add_member(&ctx(), &org.id, "analyst@alpha.example", Role::Analyst, Some("$argon2id$x")).await.unwrap();
    org.id
}

fn incident(title: &str) -> rampart_domain::incident::IncidentFields {
    use rampart_domain::incident::{IncidentCategory, IncidentFields};
    IncidentFields {
        severity: 4,
        ..IncidentFields::reported(title, IncidentCategory::MaliciousCode, rampart_store::now_ms())
    }
}

/// What a receiver got: headers and body of each request.
type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on loopback that answers 500 to the first request and
/// 204 to the others; answers its URL and what it received.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hooks/rampart",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                log.push((headers, body.to_vec()));
                if log.len() == 1 { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/rampart", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

store_test!(webhooks_are_signed_retried_and_delivered, |store| {
    let org = org(store).await;
    let (url, received) = receiver().await;
    let channel = NewChannel {
        name: "SOAR".into(),
        kind: ChannelKind::Webhook,
        target: url,
        events: vec![NotificationEvent::IncidentCreated],
    };
    let (_, secret) = store.create_channel(&ctx(), &org, channel).await.unwrap();
    store.create_incident(&ctx(), &org, incident("Ransomware on FS01"), &[]).await.unwrap();
    let notifier = Notifier::new(store.clone(), None);

    assert_eq!(notifier.deliver_due().await.unwrap(), 0, "the receiver failed the first attempt");
    let n = store.notifications(&org, 1).await.unwrap().remove(0);
    assert_eq!((n.state, n.attempts), (DeliveryState::Pending, 1));
    assert_eq!(n.last_error.as_deref(), Some("the webhook answered 500 Internal Server Error"));
    assert_eq!(notifier.deliver_due().await.unwrap(), 0, "the retry waits for its backoff");
    store.retry_notification(&ctx(), &org, &n.id).await.unwrap();
    assert_eq!(notifier.deliver_due().await.unwrap(), 1);
    assert_eq!(store.notifications(&org, 1).await.unwrap()[0].state, DeliveryState::Delivered);

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "at least once: both attempts reached the receiver");
    let (headers, body) = &received[1];
    assert_eq!(
        headers[SIGNATURE_HEADER].to_str().unwrap(),
        sign(&secret, body),
        "the body is signed with the channel's secret"
    );
    assert_eq!(headers["x-rampart-event"], "incident-created");
    assert_eq!(headers["x-rampart-delivery"].to_str().unwrap(), n.id, "the same delivery id on every attempt");
    let document: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(document["data"]["incident"]["title"], "Ransomware on FS01");
    assert_eq!(document["event"], "incident-created");
});

/// What the SMTP sink got: the recipients and data of each message.
type Mailbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on loopback that accepts every message and keeps
/// each one's recipients and data; answers its URL and what it received.
async fn smtp_sink() -> (String, Mailbox) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let mail: Mailbox = Arc::default();
    let kept = mail.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink.example ESMTP\r\n").await.unwrap();
                let (mut to, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            kept.lock().unwrap().push((std::mem::take(&mut to), std::mem::take(&mut data)));
                            write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink.example\r\n",
                        "RCPT" => {
                            to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 2.1.5 ok\r\n"
                        }
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (url, mail)
}

store_test!(email_goes_through_the_smtp_server, |store| {
    let org = org(store).await;
    let (url, mail) = smtp_sink().await;
    let channel = NewChannel {
        name: "Duty officers".into(),
        kind: ChannelKind::Email,
        target: "soc@alpha.example, ciso@alpha.example".into(),
        events: vec![NotificationEvent::IncidentCreated, NotificationEvent::IncidentState],
    };
    store.create_channel(&ctx(), &org, channel).await.unwrap();
    let without = Notifier::new(store.clone(), None);
    store.create_incident(&ctx(), &org, incident("Ransomware on FS01"), &[]).await.unwrap();
    assert_eq!(without.deliver_due().await.unwrap(), 0);
    let n = store.notifications(&org, 1).await.unwrap().remove(0);
    assert!(n.last_error.unwrap().contains("no SMTP server is configured"), "the reason says what to do");

    let notifier = Notifier::new(store.clone(), Some(Smtp::new(&url, "rampart@alpha.example").unwrap()));
    store.retry_notification(&ctx(), &org, &n.id).await.unwrap();
    assert_eq!(notifier.deliver_due().await.unwrap(), 1);
    let mail = mail.lock().unwrap().clone();
    assert_eq!(mail.len(), 1);
    let (to, data) = &mail[0];
    assert_eq!(to, &["soc@alpha.example", "ciso@alpha.example"]);
    assert!(data.contains("Subject: [Rampart] New incident (severity 4): Ransomware on FS01"), "{data}");
    assert!(data.contains("incident title: Ransomware on FS01"), "{data}");
    assert!(Smtp::new("gopher://x", "a@b.example").is_err());
});
