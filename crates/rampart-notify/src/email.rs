//! E-mail through the instance's SMTP server (lettre). The server's URL says
//! how to reach it and how to protect the connection: `smtp://host:25`
//! (plain, for a relay on the same host), `smtp://host:587?tls=required`
//! (STARTTLS, refused without it), `smtps://host:465` (TLS from the start),
//! with `user:password@` for servers that ask for a login.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rampart_store::Delivery;
use serde_json::Value;

#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why the SMTP settings cannot be used.
#[derive(Debug)]
pub struct SmtpError(pub String);

impl std::fmt::Display for SmtpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SmtpError {}

impl Smtp {
    /// `url` as above; `from` the sender's address.
    pub fn new(url: &str, from: &str) -> Result<Smtp, SmtpError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpError(format!("the SMTP URL is not usable ({e}): use smtp://host:port, smtp://host:587?tls=required or smtps://host:465")))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from =
            from.parse().map_err(|e| SmtpError(format!("the sender address {from:?} is not an address: {e}")))?;
        Ok(Smtp { transport, from })
    }

    pub(crate) async fn send(&self, d: &Delivery) -> Result<(), String> {
        let mut message = Message::builder().from(self.from.clone()).subject(format!("[Rampart] {}", d.subject));
        for to in d.target.split(", ") {
            message = message.to(to.parse().map_err(|e| format!("{to} is not an address: {e}"))?);
        }
        let message = message
            .header(ContentType::TEXT_PLAIN)
            .body(text(d))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| format!("the SMTP server refused: {e}"))
    }
}

/// The message people read: the subject, then the event's data one fact per line.
fn text(d: &Delivery) -> String {
    let mut lines = vec![d.subject.clone(), String::new()];
    flatten("", &d.payload, &mut lines);
    lines.push(String::new());
    lines.push(format!("Event {} · delivery {} · sent by Rampart", d.event, d.id));
    lines.join("\n")
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key =
                    if prefix.is_empty() { k.replace('_', " ") } else { format!("{prefix} {}", k.replace('_', " ")) };
                flatten(&key, v, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push(format!("{prefix}: {s}")),
        other => out.push(format!("{prefix}: {other}")),
    }
}
