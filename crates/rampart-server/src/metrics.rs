//! Prometheus metrics: requests by route and status, latency, database pool.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// (method, route, status) → count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latency histogram.
    latency: BTreeMap<String, Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    /// Records one finished request. `route` is the matched route pattern
    /// (never the raw path, which would make the label set unbounded).
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner.requests.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
        let h = inner.latency.entry(route.to_string()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.buckets[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The Prometheus text exposition, with the pool's size and idle count.
    pub fn render(&self, pool_size: u32, pool_idle: usize) -> String {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP rampart_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE rampart_http_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "rampart_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP rampart_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE rampart_http_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "rampart_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "rampart_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "rampart_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "rampart_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out.push_str(
            "# HELP rampart_db_pool_connections Database connections open.\n# TYPE rampart_db_pool_connections gauge\n",
        );
        let _ = writeln!(out, "rampart_db_pool_connections {pool_size}");
        out.push_str("# HELP rampart_db_pool_idle Database connections idle.\n# TYPE rampart_db_pool_idle gauge\n");
        let _ = writeln!(out, "rampart_db_pool_idle {pool_idle}");
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_with_latency_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/members", 200, 0.004);
        m.observe("GET", "/api/v1/members", 200, 0.2);
        m.observe("GET", "/api/v1/members", 404, 0.001);
        let text = m.render(3, 1);
        assert!(
            text.contains("rampart_http_requests_total{method=\"GET\",route=\"/api/v1/members\",status=\"200\"} 2")
        );
        assert!(
            text.contains("rampart_http_requests_total{method=\"GET\",route=\"/api/v1/members\",status=\"404\"} 1")
        );
        assert!(
            text.contains("rampart_http_request_duration_seconds_bucket{route=\"/api/v1/members\",le=\"0.005\"} 2")
        );
        assert!(text.contains("rampart_http_request_duration_seconds_bucket{route=\"/api/v1/members\",le=\"+Inf\"} 3"));
        assert!(text.contains("rampart_db_pool_connections 3"));
    }
}
