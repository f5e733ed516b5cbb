//! The bus's link to Redis: sends this instance's events to the shared pub/sub channel
//! and delivers the other instances' events to local subscribers.
//!
//! A background supervisor owns the link. Each session is two connections: a pub/sub
//! connection subscribed to the channel (pinged every few seconds, so a silent network
//! failure is noticed too) and a multiplexed connection for `PUBLISH`. When a session
//! ends (connection closed, ping or publish failed) the supervisor reconnects with
//! exponential backoff (100 ms doubling to 5 s, with jitter).
//!
//! Redis is never a hard dependency:
//! - Publishing checks the link state and skips Redis while it is down, so local
//!   delivery is never delayed by an outage (at most one publish waits for a timeout
//!   when a failure is first met).
//! - An outage is logged once when it starts (warn) and once when it ends (info);
//!   retries in between log at debug level only.
//! - Events that could not be sent are lost for other instances, so the next session
//!   first sends a `gap` notice: every other instance then tells its subscribers to
//!   resync. Likewise, after its own link was down an instance tells its local
//!   subscribers to resync (they may have missed other instances' events).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use redis::AsyncConnectionConfig;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use tokio::sync::{Notify, broadcast};
use tokio::time::{MissedTickBehavior, timeout};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::message::{BusEvent, BusMessage, ResyncReason, WireIn, WireOut};
use crate::metrics::Metrics;

/// Whether events reach other instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusHealth {
    /// No Redis configured: subscribers see this instance's events only (by design).
    InProcess,
    /// Redis configured, first connection attempt still under way.
    Connecting,
    /// Connected: events cross instances.
    Connected,
    /// Redis unreachable: local delivery continues, cross-instance delivery is paused
    /// and the link reconnects by itself.
    Degraded,
}

impl BusHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            BusHealth::InProcess => "in_process",
            BusHealth::Connecting => "connecting",
            BusHealth::Connected => "connected",
            BusHealth::Degraded => "degraded",
        }
    }
}

/// What happened to one `EventBus::publish` call beyond this instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteDelivery {
    /// No Redis configured.
    NotConfigured,
    /// Redis accepted the events.
    Sent,
    /// Not sent: the link is down. Other instances will be told to resync.
    Skipped,
    /// Sending failed or timed out; the link is being re-established and other
    /// instances will be told to resync.
    Failed,
}

/// What a Redis link needs from its bus.
pub(crate) struct LinkContext {
    pub stop: CancellationToken,
    pub metrics: Arc<Metrics>,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
const PING_INTERVAL: Duration = Duration::from_secs(5);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// A session shorter than this does not reset the backoff (a link that connects but
/// keeps failing, e.g. a read-only replica, must not reconnect ten times a second).
const HEALTHY_SESSION: Duration = Duration::from_secs(30);

const CONNECTING: u8 = 0;
const CONNECTED: u8 = 1;
const DEGRADED: u8 = 2;

/// The publishing side of the link, held by the bus.
pub(crate) struct RedisLink {
    shared: Arc<Shared>,
}

struct Shared {
    channel: String,
    origin: Uuid,
    state: AtomicU8,
    /// The current session's number and publishing connection, while connected.
    conn: Mutex<Option<(u64, MultiplexedConnection)>>,
    /// A publish on session `broken_session` failed: the supervisor drops that session.
    broken: Notify,
    broken_session: AtomicU64,
    /// Some events were delivered locally but not sent to Redis: others must resync.
    unsent: AtomicBool,
    metrics: Arc<Metrics>,
}

impl Shared {
    fn connection(&self) -> Option<(u64, MultiplexedConnection)> {
        // A poisoned lock only means a thread panicked while swapping the Option.
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_connection(&self, value: Option<(u64, MultiplexedConnection)>) {
        *self.conn.lock().unwrap_or_else(|e| e.into_inner()) = value;
    }

    /// Marks the link down. Only the first to notice (publisher or supervisor) logs.
    fn mark_lost(&self, reason: &str) {
        if self.state.compare_exchange(CONNECTED, DEGRADED, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            tracing::warn!(
                reason,
                channel = %self.channel,
                "redis link lost: cross-instance event delivery paused, local delivery continues; reconnecting in the background"
            );
            self.metrics.set_redis_connected(false);
            self.metrics.record_redis_disconnect();
        }
    }

    fn note_unsent(&self) {
        self.unsent.store(true, Ordering::SeqCst);
        self.metrics.record_redis_unsent_batch();
    }
}

impl RedisLink {
    /// Starts the supervisor; returns at once.
    pub(crate) fn start(
        client: redis::Client,
        channel: String,
        origin: Uuid,
        local: broadcast::Sender<BusMessage>,
        context: LinkContext,
    ) -> Self {
        let shared = Arc::new(Shared {
            channel,
            origin,
            state: AtomicU8::new(CONNECTING),
            conn: Mutex::new(None),
            broken: Notify::new(),
            broken_session: AtomicU64::new(0),
            unsent: AtomicBool::new(false),
            metrics: context.metrics,
        });
        shared.metrics.set_redis_connected(false);
        tokio::spawn(supervise(client, shared.clone(), local, context.stop));
        RedisLink { shared }
    }

    pub(crate) fn health(&self) -> BusHealth {
        match self.shared.state.load(Ordering::SeqCst) {
            CONNECTING => BusHealth::Connecting,
            CONNECTED => BusHealth::Connected,
            _ => BusHealth::Degraded,
        }
    }

    /// Sends `events` to the channel if the link is up.
    pub(crate) async fn publish(&self, events: &[Arc<BusEvent>]) -> RemoteDelivery {
        let shared = &self.shared;
        let current = if shared.state.load(Ordering::SeqCst) == CONNECTED { shared.connection() } else { None };
        let Some((session, mut conn)) = current else {
            shared.note_unsent();
            return RemoteDelivery::Skipped;
        };
        let message = WireOut::Events { origin: shared.origin, events: events.iter().map(|e| &**e).collect() };
        let payload = match serde_json::to_vec(&message) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode events for redis");
                shared.note_unsent();
                return RemoteDelivery::Failed;
            }
        };
        let sent = timeout(COMMAND_TIMEOUT, redis::cmd("PUBLISH").arg(&shared.channel).arg(payload).query_async::<i64>(&mut conn)).await;
        let reason = match sent {
            Ok(Ok(_)) => return RemoteDelivery::Sent,
            Ok(Err(e)) => format!("publish failed: {e}"),
            Err(_) => "publish timed out".to_owned(),
        };
        shared.note_unsent();
        shared.mark_lost(&reason);
        shared.broken_session.store(session, Ordering::SeqCst);
        shared.broken.notify_one();
        RemoteDelivery::Failed
    }
}

/// Keeps a session open while it can, and makes a new one when it cannot.
async fn supervise(client: redis::Client, shared: Arc<Shared>, local: broadcast::Sender<BusMessage>, stop: CancellationToken) {
    let mut session = 0u64;
    let mut failures = 0u32;
    // Set when the link has been down: local subscribers may have missed events.
    let mut outage = false;
    loop {
        session += 1;
        let attempt = tokio::select! {
            _ = stop.cancelled() => break,
            attempt = connect(&client, &shared.channel) => attempt,
        };
        match attempt {
            Err(error) => {
                failures = failures.saturating_add(1);
                if shared.state.compare_exchange(CONNECTING, DEGRADED, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                    tracing::warn!(
                        %error,
                        channel = %shared.channel,
                        "redis unreachable: cross-instance event delivery paused, local delivery continues; retrying in the background"
                    );
                    shared.metrics.record_redis_disconnect();
                } else {
                    tracing::debug!(%error, "redis still unreachable");
                }
                outage = true;
            }
            Ok((sink, stream, conn)) => {
                let started = tokio::time::Instant::now();
                shared.set_connection(Some((session, conn)));
                shared.state.store(CONNECTED, Ordering::SeqCst);
                shared.metrics.set_redis_connected(true);
                if outage {
                    tracing::info!(channel = %shared.channel, "redis reachable again: cross-instance event delivery resumed");
                    let _ = local.send(BusMessage::Resync(ResyncReason::RemoteGap));
                } else {
                    tracing::info!(channel = %shared.channel, "redis connected: events are shared with other instances");
                }
                let end = serve(session, sink, stream, &shared, &local, &stop).await;
                shared.set_connection(None);
                match end {
                    SessionEnd::Stopped => break,
                    SessionEnd::Lost(reason) => shared.mark_lost(&reason),
                }
                outage = true;
                failures = if started.elapsed() >= HEALTHY_SESSION { 0 } else { failures.saturating_add(1) };
            }
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(backoff(failures)) => {}
        }
    }
    shared.set_connection(None);
    shared.metrics.set_redis_connected(false);
}

enum SessionEnd {
    Stopped,
    Lost(String),
}

async fn connect(client: &redis::Client, channel: &str) -> Result<(PubSubSink, PubSubStream, MultiplexedConnection), String> {
    let config = AsyncConnectionConfig::new().set_connection_timeout(Some(CONNECT_TIMEOUT)).set_response_timeout(Some(COMMAND_TIMEOUT));
    let conn = client.get_multiplexed_async_connection_with_config(&config).await.map_err(|e| e.to_string())?;
    let mut pubsub = match timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await {
        Ok(result) => result.map_err(|e| e.to_string())?,
        Err(_) => return Err("connecting timed out".into()),
    };
    match timeout(COMMAND_TIMEOUT, pubsub.subscribe(channel)).await {
        Ok(result) => result.map_err(|e| e.to_string())?,
        Err(_) => return Err("subscribing timed out".into()),
    }
    let (sink, stream) = pubsub.split();
    Ok((sink, stream, conn))
}

/// Delivers messages from the channel until the session ends.
async fn serve(
    session: u64,
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    shared: &Shared,
    local: &broadcast::Sender<BusMessage>,
    stop: &CancellationToken,
) -> SessionEnd {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut reported_bad_message = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return SessionEnd::Stopped,
            message = stream.next() => match message {
                None => return SessionEnd::Lost("connection closed".into()),
                Some(message) => receive(message.get_payload_bytes(), shared, local, &mut reported_bad_message),
            },
            // The first tick is immediate: a session starts by sending any pending gap notice.
            _ = ping.tick() => {
                if let Err(reason) = keep_alive(&mut sink, session, shared).await {
                    return SessionEnd::Lost(reason);
                }
            }
            _ = shared.broken.notified() => {
                if shared.broken_session.load(Ordering::SeqCst) == session {
                    return SessionEnd::Lost("publish failed".into());
                }
            }
        }
    }
}

/// Pings the pub/sub connection, and tells other instances to resync if this one
/// could not send them some events.
async fn keep_alive(sink: &mut PubSubSink, session: u64, shared: &Shared) -> Result<(), String> {
    match timeout(COMMAND_TIMEOUT, sink.ping::<redis::Value>()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("ping failed: {e}")),
        Err(_) => return Err("ping timed out".into()),
    }
    if shared.unsent.swap(false, Ordering::SeqCst) {
        let Some((current, mut conn)) = shared.connection().filter(|(s, _)| *s == session) else {
            shared.unsent.store(true, Ordering::SeqCst);
            return Err("publishing connection gone".into());
        };
        let notice = serde_json::to_vec(&WireOut::Gap { origin: shared.origin }).unwrap_or_default();
        let sent = timeout(COMMAND_TIMEOUT, redis::cmd("PUBLISH").arg(&shared.channel).arg(notice).query_async::<i64>(&mut conn)).await;
        if !matches!(sent, Ok(Ok(_))) {
            shared.unsent.store(true, Ordering::SeqCst);
            return Err(format!("sending the gap notice failed on session {current}"));
        }
    }
    Ok(())
}

/// Handles one message from the channel.
fn receive(payload: &[u8], shared: &Shared, local: &broadcast::Sender<BusMessage>, reported_bad_message: &mut bool) {
    match serde_json::from_slice::<WireIn>(payload) {
        // Our own events were delivered locally when published.
        Ok(WireIn::Events { origin, .. } | WireIn::Gap { origin }) if origin == shared.origin => {}
        Ok(WireIn::Events { events, .. }) => {
            shared.metrics.record_remote_events(events.len() as u64);
            for event in events {
                let _ = local.send(BusMessage::Event(Arc::new(event)));
            }
        }
        Ok(WireIn::Gap { .. }) => {
            let _ = local.send(BusMessage::Resync(ResyncReason::RemoteGap));
        }
        Err(error) => {
            shared.metrics.record_remote_bad_message();
            if !*reported_bad_message {
                *reported_bad_message = true;
                tracing::warn!(%error, channel = %shared.channel, "ignoring undecodable messages on the events channel");
            }
        }
    }
}

/// 100 ms after a lost session, then doubling per failed attempt up to 5 s, +-20%.
fn backoff(failures: u32) -> Duration {
    let base = BACKOFF_MIN.saturating_mul(1u32 << failures.min(16)).min(BACKOFF_MAX);
    let jitter = (Uuid::new_v4().as_u128() % 401) as f64 / 1000.0; // 0.0 ..= 0.4
    base.mul_f64(0.8 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_cap() {
        assert!(backoff(0) <= Duration::from_millis(120));
        assert!(backoff(3) >= Duration::from_millis(640));
        assert!(backoff(30) <= Duration::from_secs(6));
        assert!(backoff(30) >= Duration::from_secs(4));
    }
}
