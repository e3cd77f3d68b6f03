//! Rampart's TAXII 2.1 client: pulls the remote collections organisations
//! subscribe to into their local collections.
//!
//! A pull asks the remote collection's objects endpoint for what was added
//! after the subscription's cursor, follows `next` while `more` is true,
//! and keeps each page (objects, provenance, the page's
//! `X-TAXII-Date-Added-Last` as the new cursor) in one transaction: a pull
//! cut short keeps what it fetched and resumes from there. Objects the
//! collection already holds are skipped, so fetching a page twice is
//! harmless. Invalid objects are counted as refused, the others kept.
//!
//! Beside the server, [`Puller::run`] pulls every subscription when its
//! schedule says; several servers may run one each, as pulls are leased.

mod http;

use std::time::Duration;

use base64::Engine;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use rampart_domain::subscription::FeedAuth;
use rampart_store::{ChangeContext, Pull, PullRecord, Store, now_ms};
use serde_json::Value;

pub use http::Reach;

/// The TAXII 2.1 media type, asked for and expected.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// Objects asked for per page (the server may send fewer).
const PAGE_LIMIT: usize = 1000;
/// Largest page read; a bigger one fails the pull.
pub const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// Most pages one pull fetches; the next pull goes on from there.
const MAX_PAGES: usize = 10_000;
/// How long the remote server has to answer a page.
const TIMEOUT: Duration = Duration::from_secs(60);
/// How long a pull holds its subscription from other servers.
const LEASE_MS: i64 = 30 * 60_000;
/// Subscriptions one scheduled pass pulls at most.
const BATCH: i64 = 20;

/// Pulls subscriptions.
#[derive(Clone)]
pub struct Puller {
    store: Store,
    http: http::Client,
}

impl std::fmt::Debug for Puller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Puller").finish_non_exhaustive()
    }
}

/// One page as the remote sent it.
struct Page {
    objects: Vec<Value>,
    more: bool,
    next: Option<String>,
    date_added_last: Option<String>,
}

impl Puller {
    pub fn new(store: Store, reach: Reach) -> Puller {
        Puller { store, http: http::client(reach) }
    }

    /// Pulls a subscription of `org`'s now. A remote that fails (cannot be
    /// reached, refuses the credentials, sends something that is not
    /// TAXII) ends the pull with the reason in its record; a store error is
    /// an error.
    pub async fn pull(&self, ctx: &ChangeContext, org: &str, subscription: &str) -> rampart_store::Result<PullRecord> {
        let pull = self.store.start_pull(org, subscription, LEASE_MS).await?;
        let outcome = self.fetch(ctx, &pull).await;
        let error = match &outcome {
            Ok(()) => None,
            Err(Failure::Remote(reason)) => {
                tracing::warn!(subscription, url = %pull.url, reason, "a TAXII pull failed");
                Some(reason.clone())
            }
            Err(Failure::Store(e)) => Some(format!("the pull could not be kept: {e}")),
        };
        let record = self.store.finish_pull(ctx, &pull, error.as_deref()).await?;
        match outcome {
            Err(Failure::Store(e)) => Err(e),
            _ => Ok(record),
        }
    }

    /// Pulls every subscription whose scheduled pull is due; answers how many.
    pub async fn pull_due(&self) -> rampart_store::Result<usize> {
        let due = self.store.due_subscriptions(now_ms(), BATCH).await?;
        let mut pulled = 0;
        for (org, id) in due {
            let ctx = ChangeContext::new("taxii-pull", rampart_domain::new_id());
            match self.pull(&ctx, &org, &id).await {
                Ok(_) => pulled += 1,
                // Another server took it between the look and the lease.
                Err(rampart_store::StoreError::Conflict(_)) => {}
                Err(e) => tracing::error!(subscription = %id, error = %e, "cannot pull a subscription"),
            }
        }
        Ok(pulled)
    }

    /// Runs until `shutdown` completes, pulling due subscriptions every minute.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = tick.tick() => {
                    if let Err(e) = self.pull_due().await {
                        tracing::error!(error = %e, "cannot look for due TAXII pulls");
                    }
                }
            }
        }
    }

    async fn fetch(&self, ctx: &ChangeContext, pull: &Pull) -> Result<(), Failure> {
        // `next` continues the query the first page began, so the
        // `added_after` of the first request stays until `next` runs out.
        let mut added_after = pull.added_after.clone();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.page(pull, added_after.as_deref(), next.as_deref()).await?;
            let (send, receive) = tokio::sync::mpsc::channel(page.objects.len().max(1));
            for (index, object) in page.objects.into_iter().enumerate() {
                let _ = send.try_send(rampart_stix::read_object(index, object));
            }
            drop(send);
            self.store
                .import_pulled(ctx, pull, receive, page.date_added_last.as_deref())
                .await
                .map_err(Failure::Store)?;
            if !page.more {
                return Ok(());
            }
            match (page.next, page.date_added_last) {
                (Some(token), _) => next = Some(token),
                (None, Some(last)) if added_after.as_deref() != Some(last.as_str()) => {
                    next = None;
                    added_after = Some(last);
                }
                _ => {
                    return Err(Failure::Remote(
                        "the remote server says more objects follow but gives neither `next` nor a later \
                         X-TAXII-Date-Added-Last to ask for them with"
                            .into(),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn page(&self, pull: &Pull, added_after: Option<&str>, next: Option<&str>) -> Result<Page, Failure> {
        let limit = PAGE_LIMIT.to_string();
        let mut query = vec![("limit", limit.as_str())];
        query.extend(added_after.map(|a| ("added_after", a)));
        query.extend(next.map(|n| ("next", n)));
        let query = serde_urlencoded::to_string(&query).expect("text pairs encode");
        let url = format!("{}?{query}", pull.url);
        let remote = |reason: String| Failure::Remote(reason);
        let uri: hyper::Uri =
            url.parse().map_err(|e| remote(format!("the subscription's address is not usable: {e}")))?;
        if let Some(why) = uri.host().and_then(literal_ip).and_then(|ip| self.http.reach.refuses(ip)) {
            return Err(remote(why));
        }
        let mut request = hyper::Request::get(uri)
            .header(hyper::header::ACCEPT, TAXII_MEDIA_TYPE)
            .header(hyper::header::USER_AGENT, concat!("Rampart/", env!("CARGO_PKG_VERSION")));
        if let Some(value) = authorization(&pull.auth) {
            request = request.header(hyper::header::AUTHORIZATION, value);
        }
        let request =
            request.body(Full::new(Bytes::new())).map_err(|e| remote(format!("the request could not be made: {e}")))?;
        let response = tokio::time::timeout(TIMEOUT, self.http.client.request(request))
            .await
            .map_err(|_| remote(format!("no answer within {} seconds", TIMEOUT.as_secs())))?
            .map_err(|e| remote(format!("cannot reach the remote server: {}", error_chain(&e))))?;
        let status = response.status();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let date_added_last = header("x-taxii-date-added-last");
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let body = tokio::time::timeout(TIMEOUT, Limited::new(response.into_body(), MAX_PAGE_BYTES).collect())
            .await
            .map_err(|_| remote(format!("the page did not arrive within {} seconds", TIMEOUT.as_secs())))?
            .map_err(|e| remote(format!("the page could not be read (at most {MAX_PAGE_BYTES} bytes): {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(remote(refusal(status, location, &body)));
        }
        if !content_type.to_ascii_lowercase().starts_with("application/taxii+json") {
            return Err(remote(format!("the remote server answered {content_type:?}, not {TAXII_MEDIA_TYPE}")));
        }
        let envelope: Value =
            serde_json::from_slice(&body).map_err(|e| remote(format!("the page is not a TAXII envelope: {e}")))?;
        let objects = match envelope.get("objects") {
            None => Vec::new(),
            Some(Value::Array(objects)) => objects.clone(),
            Some(_) => return Err(remote("the page's `objects` is not a list".into())),
        };
        Ok(Page {
            objects,
            more: envelope.get("more").and_then(Value::as_bool).unwrap_or(false),
            next: envelope.get("next").and_then(Value::as_str).map(str::to_string),
            date_added_last,
        })
    }
}

/// Why a pull stopped.
enum Failure {
    /// The remote side: kept as the pull's error.
    Remote(String),
    Store(rampart_store::StoreError),
}

fn authorization(auth: &FeedAuth) -> Option<String> {
    match auth {
        FeedAuth::None => None,
        FeedAuth::Basic { username, password } => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
        )),
        FeedAuth::Bearer { token } => Some(format!("Bearer {token}")),
    }
}

/// An IP address written as the host (`[::1]` included).
fn literal_ip(host: &str) -> Option<std::net::IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// What a refusal says, for people: the status, what it means for a
/// subscription, and the server's own TAXII error title when it sent one.
fn refusal(status: hyper::StatusCode, location: Option<String>, body: &[u8]) -> String {
    let what = match status.as_u16() {
        401 | 403 => "the remote server refused the subscription's credentials",
        404 => "the remote server has no such API root or collection, or does not let these credentials see it",
        406 | 415 => "the remote server does not speak TAXII 2.1 here",
        300..=399 => "the remote server moved the collection; update the subscription's API root",
        429 | 503 => "the remote server is busy; the next pull tries again",
        _ => "the remote server refused the request",
    };
    let mut message = format!("{what} ({status})");
    if let Some(location) = location.filter(|_| status.is_redirection()) {
        message.push_str(&format!(": it points to {}", location.chars().take(300).collect::<String>()));
    }
    let title = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|e| e.get("title").and_then(Value::as_str).map(|t| t.chars().take(300).collect::<String>()));
    if let Some(title) = title {
        message.push_str(&format!(": {title}"));
    }
    message
}

/// An error and its causes, as one line ("cannot connect: …: refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_as_basic_or_bearer() {
        let basic = FeedAuth::Basic { username: "admin".into(), password: "Password0".into() };
        assert_eq!(authorization(&basic).unwrap(), "Basic YWRtaW46UGFzc3dvcmQw");
        assert_eq!(authorization(&FeedAuth::Bearer { token: "t0k".into() }).unwrap(), "Bearer t0k");
        assert_eq!(authorization(&FeedAuth::None), None);
    }

    #[test]
    fn a_refusal_says_what_to_do_and_what_the_server_said() {
        let body = br#"{"title": "Unauthorized", "http_status": "401"}"#;
        assert_eq!(
            refusal(hyper::StatusCode::UNAUTHORIZED, None, body),
            "the remote server refused the subscription's credentials (401 Unauthorized): Unauthorized"
        );
        let moved = refusal(hyper::StatusCode::MOVED_PERMANENTLY, Some("https://new.example/api1/".into()), b"");
        assert!(moved.contains("update the subscription's API root") && moved.ends_with("https://new.example/api1/"));
    }

    #[test]
    fn literal_addresses_are_recognised() {
        assert_eq!(literal_ip("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(literal_ip("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(literal_ip("cti.example"), None);
    }
}
