//! The event bus: fans published events out to subscribers, in this instance and,
//! with Redis configured, in every instance.
//!
//! Locally it is a bounded tokio broadcast channel: the bus keeps the last
//! `subscriber_buffer` events once, whatever the number of subscribers. Publishing
//! never waits for subscribers; a subscriber that falls further behind than the buffer
//! does not hold anyone up and does not grow memory, it gets
//! [`ResyncReason::Lagged`] instead of the events it missed.
//!
//! With Redis, the publishing instance delivers its own events locally at once (so
//! local delivery never depends on Redis) and also sends them to one pub/sub channel;
//! other instances deliver what they receive there, and ignore the echo of their own.
//! The `redis_link` module describes what happens when Redis is unreachable.
//!
//! Typical use by a live view (e.g. a GraphQL subscription): subscribe first, then read
//! the current state from the database, then apply events newer than that state (by
//! `sequence`), and on [`BusMessage::Resync`] read the state again.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::{CancellationToken, DropGuard};
use url::Url;
use uuid::Uuid;

use super::message::{BusEvent, BusMessage, ResyncReason};
use super::redis_link::{BusHealth, LinkContext, RedisLink, RemoteDelivery};
use crate::metrics::Metrics;
use crate::settings::{Secret, mask_url};

/// How to reach Redis for cross-instance delivery.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    pub url: Secret<Url>,
    /// The pub/sub channel every instance of one deployment shares.
    pub channel: String,
}

/// Why the bus could not be set up (a configuration problem, not an outage).
#[derive(Debug, thiserror::Error)]
#[error("cannot use Redis at {url}: {reason}")]
pub struct BusError {
    url: String,
    reason: String,
}

/// The event bus. Cheap to clone; all clones share one bus. Dropping the last clone
/// (or [`shutdown`](Self::shutdown)) stops the Redis link.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    instance_id: Uuid,
    local: broadcast::Sender<BusMessage>,
    link: Option<RedisLink>,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
    _stop_on_drop: DropGuard,
}

impl EventBus {
    /// An in-process bus: this instance's events only.
    pub fn in_process(subscriber_buffer: usize, metrics: Arc<Metrics>) -> Self {
        Self::build(subscriber_buffer, metrics, None)
    }

    /// A bus that also shares events with other instances through Redis, if `redis`
    /// is set. Never waits for Redis: the link is made (and remade) in the background,
    /// so this must be called within a tokio runtime. Fails only for a URL the Redis
    /// client rejects.
    pub fn new(subscriber_buffer: usize, redis: Option<RedisSettings>, metrics: Arc<Metrics>) -> Result<Self, BusError> {
        let redis = match redis {
            None => None,
            Some(settings) => {
                let client = redis::Client::open(settings.url.expose().as_str())
                    .map_err(|e| BusError { url: mask_url(settings.url.expose()), reason: e.to_string() })?;
                Some((client, settings.channel))
            }
        };
        Ok(Self::build(subscriber_buffer, metrics, redis))
    }

    fn build(subscriber_buffer: usize, metrics: Arc<Metrics>, redis: Option<(redis::Client, String)>) -> Self {
        let (local, _) = broadcast::channel(subscriber_buffer.max(1));
        let instance_id = Uuid::new_v4();
        let stop = CancellationToken::new();
        let link = redis.map(|(client, channel)| {
            let context = LinkContext { stop: stop.clone(), metrics: metrics.clone() };
            RedisLink::start(client, channel, instance_id, local.clone(), context)
        });
        let guard = stop.clone().drop_guard();
        EventBus { inner: Arc::new(Inner { instance_id, local, link, metrics, stop, _stop_on_drop: guard }) }
    }

    /// A new subscription: every event published from now on, in publish order.
    pub fn subscribe(&self) -> Subscription {
        self.inner.metrics.add_event_subscribers(1);
        Subscription { rx: self.inner.local.subscribe(), metrics: self.inner.metrics.clone(), counted: true }
    }

    /// A subscription of the server's own (e.g. the response cache following stock),
    /// left out of the subscriber gauge, which counts clients' subscriptions.
    pub fn subscribe_internal(&self) -> Subscription {
        Subscription { rx: self.inner.local.subscribe(), metrics: self.inner.metrics.clone(), counted: false }
    }

    /// Delivers `events` to this instance's subscribers at once, then (with Redis) to
    /// the other instances. Returns when Redis has accepted them, has failed, or the
    /// link is known to be down; never fails and never waits for subscribers.
    pub async fn publish(&self, events: Vec<BusEvent>) -> RemoteDelivery {
        let events: Vec<Arc<BusEvent>> = events.into_iter().map(Arc::new).collect();
        if events.is_empty() {
            return if self.inner.link.is_some() { RemoteDelivery::Sent } else { RemoteDelivery::NotConfigured };
        }
        for event in &events {
            // An error only means nobody is subscribed right now.
            let _ = self.inner.local.send(BusMessage::Event(event.clone()));
        }
        match &self.inner.link {
            None => RemoteDelivery::NotConfigured,
            Some(link) => link.publish(&events).await,
        }
    }

    /// Whether events reach other instances (for `/readyz` detail; never a reason to
    /// take the instance out of service).
    pub fn health(&self) -> BusHealth {
        self.inner.link.as_ref().map_or(BusHealth::InProcess, RedisLink::health)
    }

    /// This bus's id on the Redis channel (tags its messages, to skip their echo).
    pub fn instance_id(&self) -> Uuid {
        self.inner.instance_id
    }

    /// Open subscriptions on this instance.
    pub fn subscriber_count(&self) -> usize {
        self.inner.local.receiver_count()
    }

    /// Stops the Redis link (local delivery keeps working). Idempotent.
    pub fn shutdown(&self) {
        self.inner.stop.cancel();
    }
}

/// One subscriber's view of the bus. Its backlog is bounded by the bus's
/// `subscriber_buffer`; when it falls further behind it receives
/// [`BusMessage::Resync`] with [`ResyncReason::Lagged`] and continues from the oldest
/// event still buffered.
pub struct Subscription {
    rx: broadcast::Receiver<BusMessage>,
    metrics: Arc<Metrics>,
    /// Whether it counts in the subscriber gauge.
    counted: bool,
}

impl Subscription {
    /// The next message; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<BusMessage> {
        match self.rx.recv().await {
            Ok(message) => Some(message),
            Err(RecvError::Lagged(missed)) => {
                self.metrics.record_subscriber_lagged();
                Some(BusMessage::Resync(ResyncReason::Lagged { missed }))
            }
            Err(RecvError::Closed) => None,
        }
    }

    /// The subscription as a stream (ends when the bus is gone).
    pub fn into_stream(self) -> impl Stream<Item = BusMessage> + Send + 'static {
        futures::stream::unfold(self, |mut sub| async move { sub.recv().await.map(|m| (m, sub)) })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.counted {
            self.metrics.add_event_subscribers(-1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn event(id: i64) -> BusEvent {
        BusEvent {
            id,
            aggregate_type: "t".into(),
            aggregate_id: "a".into(),
            sequence: id,
            event_type: "t.changed".into(),
            payload: serde_json::Value::Null,
            created_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resync() {
        let bus = EventBus::in_process(4, Arc::new(Metrics::new()));
        let mut slow = bus.subscribe();
        let mut fast = bus.subscribe();
        for id in 1..=10 {
            assert_eq!(bus.publish(vec![event(id)]).await, RemoteDelivery::NotConfigured);
            match fast.recv().await {
                Some(BusMessage::Event(e)) => assert_eq!(e.id, id),
                other => panic!("fast subscriber got {other:?}"),
            }
        }
        assert!(matches!(slow.recv().await, Some(BusMessage::Resync(ResyncReason::Lagged { missed: 6 }))));
        for id in 7..=10 {
            assert!(matches!(slow.recv().await, Some(BusMessage::Event(e)) if e.id == id));
        }
        assert_eq!(bus.health(), BusHealth::InProcess);
        assert_eq!(bus.subscriber_count(), 2);
    }

    #[tokio::test]
    async fn tls_redis_urls_are_accepted_and_a_failed_handshake_only_degrades() {
        // A plain TCP listener that hangs up: the TLS handshake starts and fails.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                drop(socket);
            }
        });
        let url = Url::parse(&format!("rediss://:pw@127.0.0.1:{port}")).unwrap();
        let settings = RedisSettings { url: Secret::new(url), channel: "t".into() };
        let bus = EventBus::new(16, Some(settings), Arc::new(Metrics::new())).unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while bus.health() != BusHealth::Degraded && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(bus.health(), BusHealth::Degraded);
        let mut sub = bus.subscribe();
        assert_eq!(bus.publish(vec![event(1)]).await, RemoteDelivery::Skipped);
        assert!(matches!(sub.recv().await, Some(BusMessage::Event(e)) if e.id == 1), "local delivery goes on");
        bus.shutdown();
    }
}
