//! The HTTP client a pull fetches with. Subscriptions are set by
//! organisation administrators, not by the operator, so by default the
//! client refuses to reach the instance's own network (loopback, private,
//! link-local and similar addresses: the cloud metadata service, the
//! database): a subscription must not become a way to probe it. The check
//! applies to the addresses a name resolves to, as connected, so a name
//! that resolves differently the second time does not get round it.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;

type Inner = hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector<Guarded>>, Full<Bytes>>;

/// The client, and the reach its connector enforces (checked again for
/// addresses written as such, which are never resolved).
#[derive(Clone)]
pub(crate) struct Client {
    pub client: Inner,
    pub reach: Reach,
}

/// Which remote addresses a pull may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only: what pulls asked for by organisations get.
    Public,
    /// Any address, the instance's own network included: for the operator
    /// (`rampart taxii pull`), or a server started with `--allow-private-feeds`.
    Any,
}

impl Reach {
    /// Why `ip` may not be reached, if it may not.
    pub fn refuses(self, ip: IpAddr) -> Option<String> {
        (self == Reach::Public && !is_public(ip)).then(|| {
            format!(
                "{ip} is an address of this instance's own network, which subscriptions may not reach \
                 (start the server with --allow-private-feeds to allow it)"
            )
        })
    }
}

/// True for addresses on the public Internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
                || (a == 198 && (b == 18 || b == 19))) // benchmarking
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link-local
        }
    }
}

/// Resolves names as the system does, then drops the addresses `reach`
/// refuses.
#[derive(Clone)]
pub(crate) struct Guarded {
    reach: Reach,
}

type Resolving = Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, std::io::Error>> + Send>>;

impl tower_service::Service<Name> for Guarded {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolving {
        let reach = self.reach;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match reach.refuses(a.ip()) {
                    Some(why) => {
                        refusal = Some(why);
                        false
                    }
                    None => true,
                })
                .collect();
            if allowed.is_empty() {
                let why = refusal.unwrap_or_else(|| format!("{host} has no address"));
                return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why));
            }
            Ok(allowed.into_iter())
        })
    }
}

pub(crate) fn client(reach: Reach) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut http = HttpConnector::new_with_resolver(Guarded { reach });
    http.enforce_http(false);
    http.set_connect_timeout(Some(std::time::Duration::from_secs(10)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client { client: hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https), reach }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_reach_refuses_the_instances_own_network() {
        for own in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = own.parse().unwrap();
            assert!(Reach::Public.refuses(ip).is_some(), "{own}");
            assert!(Reach::Any.refuses(ip).is_none(), "{own}");
        }
        for public in ["198.51.100.7", "8.8.8.8", "2001:db8::1", "2606:4700::1111"] {
            assert!(Reach::Public.refuses(public.parse().unwrap()).is_none(), "{public}");
        }
    }
}
