//! The hub's metrics, for Prometheus: HTTP requests by route template, method and status with a
//! latency histogram (counted as they happen, `observe_http`), and the state of the hub as
//! gauges set at each scrape (`StateReport`): payments by service and outcome, the outbox, the
//! node's channels, liquidity, on-chain funds and chain sync, the treasury, and one gauge per
//! books check. Encoded in the OpenMetrics text format by the Prometheus project's own client.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The labels of one HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

/// The labels of a route's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

/// Payments by service and outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PaymentLabels {
    service: String,
    outcome: String,
}

/// One named value (`name` label).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NameLabel {
    name: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric of the hub, in one registry.
pub struct HubMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    payments: Family<PaymentLabels, Gauge>,
    outbox: Family<NameLabel, Gauge>,
    node: Family<NameLabel, Gauge>,
    treasury_sat: Gauge,
    books: Family<NameLabel, Gauge>,
}

impl Default for HubMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl HubMetrics {
    /// The metrics, registered, all zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("boltworks");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let payments = Family::<PaymentLabels, Gauge>::default();
        let outbox = Family::<NameLabel, Gauge>::default();
        let node = Family::<NameLabel, Gauge>::default();
        let treasury_sat = Gauge::default();
        let books = Family::<NameLabel, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            latency.clone(),
        );
        registry.register(
            "payments",
            "Payments (and payment records) by service and outcome, as the database holds them now",
            payments.clone(),
        );
        registry.register(
            "outbox",
            "Notifications: pending, failed, and the age in seconds of the oldest pending one",
            outbox.clone(),
        );
        registry.register(
            "node",
            "The hub's node: channels, usable channels, outbound and inbound msat, on-chain sat, synced height, sync lag in blocks",
            node.clone(),
        );
        registry.register(
            "treasury_sat",
            "The on-chain treasury's confirmed balance",
            treasury_sat.clone(),
        );
        registry.register(
            "books_check",
            "1 while a books check holds, 0 when it fails",
            books.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            payments,
            outbox,
            node,
            treasury_sat,
            books,
        }
    }

    /// Counts one answered request to `route` (the template, such as `/gifts/status/{charge_id}`).
    pub fn observe_http(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let labels = RequestLabels {
            route: route.to_string(),
            method: method.to_string(),
            status: status.to_string(),
        };
        self.requests.get_or_create(&labels).inc();
        let route = RouteLabels {
            route: labels.route,
            method: labels.method,
        };
        self.latency
            .get_or_create(&route)
            .observe(elapsed.as_secs_f64());
    }

    /// Sets the state gauges from `report` (replacing the last scrape's payment outcomes).
    pub fn set_state(&self, report: &StateReport) {
        self.payments.clear();
        for (service, outcome, count) in &report.payments {
            let labels = PaymentLabels {
                service: service.to_string(),
                outcome: outcome.clone(),
            };
            self.payments.get_or_create(&labels).set(*count);
        }
        set_named(&self.outbox, &report.outbox);
        set_named(&self.node, &report.node);
        set_named(&self.books, &report.books);
        self.treasury_sat.set(report.treasury_sat);
    }

    /// The OpenMetrics text.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

fn set_named(family: &Family<NameLabel, Gauge>, values: &[(&'static str, i64)]) {
    for (name, value) in values {
        let labels = NameLabel {
            name: (*name).to_string(),
        };
        family.get_or_create(&labels).set(*value);
    }
}

/// The hub's state at one scrape, gathered by the operator API.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StateReport {
    /// (service, outcome, how many).
    pub payments: Vec<(&'static str, String, i64)>,
    /// `pending`, `failed`, `oldest_pending_age_seconds`.
    pub outbox: Vec<(&'static str, i64)>,
    /// The node's figures.
    pub node: Vec<(&'static str, i64)>,
    /// The treasury's confirmed sats.
    pub treasury_sat: i64,
    /// Each books check: 1 holds, 0 fails.
    pub books: Vec<(&'static str, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_state_are_encoded() {
        let metrics = HubMetrics::new();
        metrics.observe_http("/gifts/create", "POST", 200, Duration::from_millis(3));
        let report = StateReport {
            payments: vec![("gifts", "confirmed".into(), 2)],
            books: vec![("ledger_balanced", 1)],
            ..StateReport::default()
        };
        metrics.set_state(&report);
        let text = metrics.encode().expect("text");
        assert!(text.contains(
            r#"boltworks_http_requests_total{route="/gifts/create",method="POST",status="200"} 1"#
        ), "{text}");
        assert!(
            text.contains(r#"boltworks_payments{service="gifts",outcome="confirmed"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"boltworks_books_check{name="ledger_balanced"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
