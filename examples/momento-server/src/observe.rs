//! What an operator sees: `/metrics` (OpenMetrics text from Prometheus's own client, read from
//! fgac's counters at each scrape) and `/status` (the trust in force and its revocation log), on
//! an address of their own (`--metrics`); and the decision log and the shadow a [`Gate`] feeds.
//!
//! Labels have bounded cardinality: an operation family, an outcome, a failure, an event; never
//! a credential, a cache, a topic or an item key.
//!
//! [`Gate`]: crate::auth::Gate

use crate::pubsub::TopicStats;
use fgac::credentials::{Keyring, LogHealth};
use fgac::decision_log::DecisionLog;
use fgac::metrics::{Metrics, MetricsSnapshot};
use fgac::shadow::Shadow;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// What the server observes with, shared by the gate and the endpoints.
#[derive(Clone, Default)]
pub struct Observers {
    /// The key ring's counters (the ring counts in them itself).
    pub metrics: Option<Arc<Metrics>>,
    /// Where denials (and sampled allows) are logged.
    pub log: Option<Arc<DecisionLog>>,
    /// A candidate document deciding beside the live one.
    pub shadow: Option<Arc<Shadow>>,
    /// The topics' counters.
    pub topics: Option<Arc<TopicStats>>,
    /// A fleet follower's status (revision applied, last contact with etcd, staleness), for
    /// `/status`.
    pub fleet: Option<FleetStatus>,
}

/// Reads a fleet follower's status as JSON.
#[derive(Clone)]
pub struct FleetStatus(pub Arc<dyn Fn() -> serde_json::Value + Send + Sync>);

/// Reads every counter at scrape time.
#[derive(Debug)]
struct FgacCollector {
    ring: Arc<Keyring>,
    metrics: Arc<Metrics>,
    topics: Option<Arc<TopicStats>>,
    log: Option<Arc<DecisionLog>>,
}

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observers").finish_non_exhaustive()
    }
}

fn counter(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let m = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    ConstCounter::new(value).encode(m)
}

fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    ConstGauge::new(value).encode(m)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl FgacCollector {
    fn decisions(
        s: &MetricsSnapshot,
        encoder: &mut DescriptorEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "fgac_decisions",
            "Decisions, by operation family and outcome (allow, or the deny reason).",
            None,
            MetricType::Counter,
        )?;
        for (f, verdict, n) in s.decisions() {
            let labels = [("family", f.as_str()), ("outcome", verdict.as_str())];
            ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "fgac_credential_resolutions",
            "Resolutions of presented credentials, by outcome (resolved, or why refused).",
            None,
            MetricType::Counter,
        )?;
        for (outcome, n) in s.resolutions() {
            let labels = [(
                "outcome",
                outcome.map_or_else(|why| why.as_str(), |()| "resolved"),
            )];
            ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "fgac_keyring_events",
            "Key ring events: cache hits, misses and evictions, trusts applied and refused, revocations applied, sessions withdrawn, shadow comparisons.",
            None,
            MetricType::Counter,
        )?;
        for event in fgac::metrics::Event::ALL {
            let labels = [("event", event.as_str())];
            ConstCounter::new(s.event(*event)).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

impl Collector for FgacCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        Self::decisions(&self.metrics.snapshot(), &mut encoder)?;
        gauge(
            &mut encoder,
            "fgac_trust_generation",
            "How many times the trust has been replaced since the server started.",
            signed(self.ring.generation()),
        )?;
        gauge(
            &mut encoder,
            "fgac_keyring_cached_credentials",
            "Verified credentials the key ring's cache holds.",
            signed(self.ring.cached() as u64),
        )?;
        let status = self.ring.revocation_status();
        gauge(
            &mut encoder,
            "fgac_revocations_held",
            "Revocations the key ring holds.",
            signed(status.held as u64),
        )?;
        gauge(
            &mut encoder,
            "fgac_revocation_log_healthy",
            "1 when the revocation log holds every revocation in force (or none is configured), else 0.",
            i64::from(matches!(status.health, LogHealth::Ok | LogHealth::NoLog)),
        )?;
        if let Some(t) = &self.topics {
            counter(
                &mut encoder,
                "fgac_topic_subscriber_skips",
                "Times a subscriber that fell behind was skipped forward.",
                t.skips.load(Ordering::Relaxed),
            )?;
            counter(
                &mut encoder,
                "fgac_topic_skipped_messages",
                "Messages subscribers were skipped past.",
                t.skipped.load(Ordering::Relaxed),
            )?;
        }
        if let Some(log) = &self.log {
            let stats = log.stats();
            let mut family = encoder.encode_descriptor(
                "fgac_decision_log_events",
                "Decision log events, by what became of them.",
                None,
                MetricType::Counter,
            )?;
            for (what, n) in [
                ("written", stats.written),
                ("dropped", stats.dropped),
                ("failed", stats.failed),
            ] {
                ConstCounter::new(n).encode(family.encode_family(&[("result", what)])?)?;
            }
        }
        Ok(())
    }
}

/// The OpenMetrics text of everything observed.
fn exposition(registry: &Registry) -> String {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, registry) {
        Ok(()) => text,
        Err(_) => "# the metrics could not be encoded\n# EOF\n".to_owned(),
    }
}

/// `/status`: the trust in force, the revocation log and the fleet follower, as JSON.
fn status(ring: &Keyring, fleet: Option<&FleetStatus>) -> String {
    let s = ring.revocation_status();
    let health = match &s.health {
        LogHealth::NoLog => "none".to_owned(),
        LogHealth::Ok => "ok".to_owned(),
        LogHealth::Missing => "missing".to_owned(),
        LogHealth::Diverged { lost } => format!("diverged: lacks {lost} revocations in force"),
        LogHealth::Unreadable(why) => format!("unreadable: {why}"),
        _ => "unknown".to_owned(),
    };
    serde_json::json!({
        "generation": ring.generation(),
        "cached_credentials": ring.cached(),
        "revocations_held": s.held,
        "revocation_log": health,
        "last_reload_error": ring.last_error(),
        "fleet": fleet.map(|f| (f.0)()),
    })
    .to_string()
}

/// Serves `/metrics` and `/status` on `listener` until the process ends.
pub fn serve(
    listener: tokio::net::TcpListener,
    ring: Arc<Keyring>,
    observers: &Observers,
) -> Result<SocketAddr, std::io::Error> {
    let bound = listener.local_addr()?;
    let mut registry = Registry::default();
    registry.register_collector(Box::new(FgacCollector {
        ring: Arc::clone(&ring),
        metrics: observers
            .metrics
            .clone()
            .unwrap_or_else(|| Arc::new(Metrics::new())),
        topics: observers.topics.clone(),
        log: observers.log.clone(),
    }));
    let registry = Arc::new(registry);
    let fleet = observers.fleet.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let registry = Arc::clone(&registry);
                async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        exposition(&registry),
                    )
                }
            }),
        )
        .route(
            "/status",
            axum::routing::get(move || {
                let ring = Arc::clone(&ring);
                let fleet = fleet.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        status(&ring, fleet.as_ref()),
                    )
                }
            }),
        );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("fgac: the metrics endpoint stopped: {e}");
        }
    });
    Ok(bound)
}
