//! Prometheus metrics for `/metrics`: HTTP requests, GraphQL operations, database
//! statements and pool use, event delivery (outbox publisher, bus, Redis link). One registry per running app (no process globals), so
//! several servers in one process (tests) each count their own.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::db::PoolStats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
    pub kind: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookLabels {
    pub gateway: &'static str,
    /// `applied`, `duplicate`, `ignored`, `unmatched`, `unhandled`, `bad_signature`,
    /// `bad_body`, `error`.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationNameLabels {
    pub operation: String,
    pub kind: String,
}

/// Client-chosen operation names become label values; past this many distinct names
/// the rest are counted as `other`, so a client cannot blow up the series count.
const MAX_OPERATION_NAMES: usize = 200;

pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram>,
    operations: Family<OperationLabels, Counter>,
    operation_duration: Family<OperationNameLabels, Histogram>,
    db_statements: Counter,
    db_statement_errors: Counter,
    db_statement_duration: Histogram,
    db_pool_size: Gauge,
    db_pool_idle: Gauge,
    db_pool_max: Gauge,
    response_cache: Family<CacheLabels, Counter>,
    validations: Family<CacheLabels, Counter>,
    walked: Family<CacheLabels, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
    operation_names: Mutex<HashSet<String>>,
    events: EventMetrics,
}

/// Event delivery: what the outbox publisher, the bus and the Redis link report.
struct EventMetrics {
    published: Counter,
    publish_lag: Histogram,
    pruned: Counter,
    subscribers: Gauge,
    subscribers_lagged: Counter,
    redis_connected: Gauge,
    redis_disconnects: Counter,
    redis_unsent_batches: Counter,
    remote_received: Counter,
    remote_bad_messages: Counter,
}

impl EventMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = EventMetrics {
            published: Counter::default(),
            publish_lag: latency_histogram(),
            pruned: Counter::default(),
            subscribers: Gauge::default(),
            subscribers_lagged: Counter::default(),
            redis_connected: Gauge::default(),
            redis_disconnects: Counter::default(),
            redis_unsent_batches: Counter::default(),
            remote_received: Counter::default(),
            remote_bad_messages: Counter::default(),
        };
        registry.register("events_published", "Outbox events handed to the event bus", m.published.clone());
        registry.register("events_publish_lag_seconds", "Time from writing an outbox event to publishing it", m.publish_lag.clone());
        registry.register("events_outbox_pruned", "Delivered outbox rows removed after the retention period", m.pruned.clone());
        registry.register("events_subscribers", "Open event bus subscriptions on this instance", m.subscribers.clone());
        registry.register(
            "events_subscriber_lagged",
            "Times a subscriber fell behind its buffer and was told to resync",
            m.subscribers_lagged.clone(),
        );
        registry.register(
            "events_redis_connected",
            "1 while the Redis link for cross-instance events is up, 0 while it is down or not configured",
            m.redis_connected.clone(),
        );
        registry.register("events_redis_disconnects", "Times the Redis link was lost or could not be made", m.redis_disconnects.clone());
        registry.register(
            "events_redis_unsent_batches",
            "Event batches delivered locally but not sent to Redis (link down or publish failed)",
            m.redis_unsent_batches.clone(),
        );
        registry.register("events_remote_received", "Events received from other instances through Redis", m.remote_received.clone());
        registry.register(
            "events_remote_bad_messages",
            "Messages on the Redis events channel that could not be decoded",
            m.remote_bad_messages.clone(),
        );
        m
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("stockade");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let operations = Family::<OperationLabels, Counter>::default();
        let operation_duration = Family::<OperationNameLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let db_statements = Counter::default();
        let db_statement_errors = Counter::default();
        let db_statement_duration = latency_histogram();
        let (db_pool_size, db_pool_idle, db_pool_max) = (Gauge::default(), Gauge::default(), Gauge::default());
        let response_cache = Family::<CacheLabels, Counter>::default();
        let validations = Family::<CacheLabels, Counter>::default();
        let walked = Family::<CacheLabels, Counter>::default();
        let webhooks = Family::<WebhookLabels, Counter>::default();

        registry.register("http_requests", "HTTP requests by method, route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", http_duration.clone());
        registry.register("graphql_operations", "GraphQL operations by name, kind and outcome", operations.clone());
        registry.register("graphql_operation_duration_seconds", "GraphQL operation latency by name and kind", operation_duration.clone());
        registry.register("db_statements", "SQL statements executed", db_statements.clone());
        registry.register("db_statement_errors", "SQL statements that failed", db_statement_errors.clone());
        registry.register("db_statement_duration_seconds", "SQL statement latency", db_statement_duration.clone());
        registry.register("db_pool_connections", "Open database connections", db_pool_size.clone());
        registry.register("db_pool_idle_connections", "Idle database connections", db_pool_idle.clone());
        registry.register("db_pool_max_connections", "Database pool capacity", db_pool_max.clone());
        let events = EventMetrics::register(&mut registry);
        registry.register(
            "graphql_response_cache",
            "Shareable GraphQL queries answered from (hit) or not from (miss) the response cache",
            response_cache.clone(),
        );
        registry.register(
            "graphql_validations",
            "GraphQL requests executed with every validation rule (checked) or without, having passed them before (skipped)",
            validations.clone(),
        );
        registry.register(
            "graphql_walked_objects",
            "Catalog objects answered in one walk as ready JSON (json), in one walk as values (value: outside HTTP, or merged by async-graphql), or field by field (derived)",
            walked.clone(),
        );
        registry.register("payment_webhooks", "Payment gateway webhook deliveries by gateway and outcome", webhooks.clone());

        Metrics {
            registry,
            http_requests,
            http_duration,
            operations,
            operation_duration,
            db_statements,
            db_statement_errors,
            db_statement_duration,
            db_pool_size,
            db_pool_idle,
            db_pool_max,
            response_cache,
            validations,
            walked,
            webhooks,
            operation_names: Mutex::new(HashSet::new()),
            events,
        }
    }

    pub fn record_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests.get_or_create(&HttpLabels { method: method.to_owned(), route: route.to_owned(), status }).inc();
        self.http_duration.get_or_create(&RouteLabels { route: route.to_owned() }).observe(elapsed.as_secs_f64());
    }

    pub fn record_operation(&self, name: Option<&str>, kind: &str, ok: bool, elapsed: Duration) {
        let operation = self.operation_label(name);
        let outcome = if ok { "ok" } else { "error" }.to_owned();
        self.operations.get_or_create(&OperationLabels { operation: operation.clone(), kind: kind.to_owned(), outcome }).inc();
        self.operation_duration.get_or_create(&OperationNameLabels { operation, kind: kind.to_owned() }).observe(elapsed.as_secs_f64());
    }

    fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')) else {
            return if name.is_some() { "other".into() } else { "anonymous".into() };
        };
        // A poisoned lock only means another thread panicked mid-insert; the set is fine.
        let mut names = self.operation_names.lock().unwrap_or_else(|e| e.into_inner());
        if names.contains(name) || names.len() < MAX_OPERATION_NAMES {
            names.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    /// `result`: `hit`, `patched` (stored, its stock read again) or `miss`.
    pub fn record_response_cache(&self, result: &'static str) {
        self.response_cache.get_or_create(&CacheLabels { result }).inc();
    }

    /// `result`: `checked` (every validation rule ran) or `skipped` (the same request
    /// passed them before).
    pub fn record_validation(&self, result: &'static str) {
        self.validations.get_or_create(&CacheLabels { result }).inc();
    }

    /// `result`: `json`, `value` or `derived` (how an object that may be walked was answered).
    pub fn record_walk(&self, result: &'static str) {
        self.walked.get_or_create(&CacheLabels { result }).inc();
    }

    pub fn record_webhook(&self, gateway: &'static str, outcome: &'static str) {
        self.webhooks.get_or_create(&WebhookLabels { gateway, outcome }).inc();
    }

    pub fn record_statement(&self, elapsed: Duration, failed: bool) {
        self.db_statements.inc();
        if failed {
            self.db_statement_errors.inc();
        }
        self.db_statement_duration.observe(elapsed.as_secs_f64());
    }

    /// Statements executed so far (also exported as `stockade_db_statements_total`).
    pub fn statements(&self) -> u64 {
        self.db_statements.get()
    }

    /// `lags` holds, per event, the time from its outbox write to now.
    pub fn record_events_published(&self, lags: impl IntoIterator<Item = Duration>) {
        for lag in lags {
            self.events.published.inc();
            self.events.publish_lag.observe(lag.as_secs_f64());
        }
    }

    /// Events published so far (also exported as `stockade_events_published_total`).
    pub fn events_published(&self) -> u64 {
        self.events.published.get()
    }

    pub fn record_outbox_pruned(&self, rows: u64) {
        self.events.pruned.inc_by(rows);
    }

    /// A subscription opened (`+1`) or closed (`-1`).
    pub fn add_event_subscribers(&self, delta: i64) {
        self.events.subscribers.inc_by(delta);
    }

    pub fn record_subscriber_lagged(&self) {
        self.events.subscribers_lagged.inc();
    }

    /// Times a subscriber was told it fell behind.
    pub fn subscribers_lagged(&self) -> u64 {
        self.events.subscribers_lagged.get()
    }

    pub fn set_redis_connected(&self, connected: bool) {
        self.events.redis_connected.set(i64::from(connected));
    }

    pub fn record_redis_disconnect(&self) {
        self.events.redis_disconnects.inc();
    }

    pub fn record_redis_unsent_batch(&self) {
        self.events.redis_unsent_batches.inc();
    }

    pub fn record_remote_events(&self, events: u64) {
        self.events.remote_received.inc_by(events);
    }

    pub fn record_remote_bad_message(&self) {
        self.events.remote_bad_messages.inc();
    }

    /// The Prometheus text exposition, with pool gauges read now.
    pub fn render(&self, pool: PoolStats) -> String {
        self.db_pool_size.set(i64::from(pool.size));
        self.db_pool_idle.set(i64::from(pool.idle));
        self.db_pool_max.set(i64::from(pool.max));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }
}
