//! Webhooks: the delivery's JSON POSTed to the channel's URL, signed with
//! HMAC-SHA256 under the channel's secret so the receiver can tell it came
//! from Rampart and was not changed on the way.

use std::time::Duration;

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rampart_store::Delivery;
use sha2::Sha256;

/// `sha256=` and the hex HMAC-SHA256 of the exact body bytes.
pub const SIGNATURE_HEADER: &str = "x-rampart-signature-256";

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) type Client = hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

pub(crate) fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https)
}

/// The signature header's value for `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs the delivery; any 2xx answer delivers it.
pub(crate) async fn send(client: &Client, d: &Delivery) -> Result<(), String> {
    let body = serde_json::to_vec(&crate::document(d)).map_err(|e| e.to_string())?;
    let request = hyper::Request::post(&d.target)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, concat!("Rampart/", env!("CARGO_PKG_VERSION")))
        .header("x-rampart-event", d.event.as_str())
        .header("x-rampart-delivery", &d.id)
        .header(SIGNATURE_HEADER, sign(&d.secret, &body))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("the webhook address is not usable: {e}"))?;
    let response = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .map_err(|_| format!("no answer within {} seconds", TIMEOUT.as_secs()))?
        .map_err(|e| format!("cannot reach the webhook: {e}"))?;
    let status = response.status();
    // Read (a little of) the answer so the connection can be reused.
    let _ = tokio::time::timeout(Duration::from_secs(2), response.into_body().collect()).await;
    if status.is_success() { Ok(()) } else { Err(format!("the webhook answered {status}")) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(super::sign("Jefe", b"what do ya want for nothing?"), expected);
    }
}
