//! One storefront subscriber: a WebSocket (graphql-transport-ws), one `stockChanged`
//! subscription, counters, and optionally a report of every update's arrival time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const QUERY: &str = "subscription($ids: [ID!]!) { stockChanged(variantIds: $ids) { variantId availableQuantity stockVersion kind } }";
/// Clients must show life to the server (it closes sockets silent for 60 s).
const PING_EVERY: Duration = Duration::from_secs(20);

/// What a subscriber has seen.
#[derive(Default)]
pub struct Counters {
    pub changes: AtomicU64,
    pub resyncs: AtomicU64,
    /// The highest variant version seen (single-SKU runs).
    pub version: AtomicI64,
}

/// An update's arrival: subscriber index, the variant's version, when.
pub type Arrival = (usize, i64, Instant);

#[derive(Deserialize)]
struct ServerMessage {
    #[serde(rename = "type")]
    kind: String,
    payload: Option<Payload>,
}

#[derive(Deserialize)]
struct Payload {
    data: Option<Data>,
    errors: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    stock_changed: Update,
}

#[derive(Deserialize)]
struct Update {
    #[serde(rename = "stockVersion")]
    version: i64,
    kind: String,
}

pub struct Subscriber {
    pub index: usize,
    pub counters: Arc<Counters>,
    pub arrivals: Option<mpsc::UnboundedSender<Arrival>>,
}

impl Subscriber {
    /// Connects, subscribes to `variants`, reports `ready` after the snapshots, then
    /// reads until `stop` turns true or the socket closes.
    pub async fn run(
        self,
        ws_url: String,
        variants: Vec<String>,
        ready: mpsc::Sender<usize>,
        mut stop: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let mut request = ws_url.into_client_request()?;
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.context("WebSocket connect")?;
        let send = |v: serde_json::Value| Message::Text(v.to_string().into());
        ws.send(send(json!({ "type": "connection_init", "payload": {} }))).await?;
        ws.send(send(json!({ "type": "subscribe", "id": "1", "payload": { "query": QUERY, "variables": { "ids": variants } } }))).await?;
        let mut snapshots = 0;
        let mut ping = tokio::time::interval(PING_EVERY);
        loop {
            let message = tokio::select! {
                m = ws.next() => m,
                _ = ping.tick() => { ws.send(send(json!({ "type": "ping" }))).await?; continue; }
                _ = stop.changed() => break,
            };
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(frame))) => bail!("server closed the socket: {frame:?}"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => bail!("socket closed"),
            };
            let at = Instant::now();
            let message: ServerMessage = serde_json::from_str(&text)?;
            match message.kind.as_str() {
                "next" => {}
                "connection_ack" | "pong" => continue,
                "ping" => {
                    ws.send(send(json!({ "type": "pong" }))).await?;
                    continue;
                }
                other => bail!("unexpected {other}: {text}"),
            }
            let payload = message.payload.context("next without payload")?;
            let Some(data) = payload.data else { bail!("subscription error: {:?}", payload.errors) };
            let update = data.stock_changed;
            self.counters.version.fetch_max(update.version, Ordering::Relaxed);
            match update.kind.as_str() {
                "SNAPSHOT" => {
                    snapshots += 1;
                    if snapshots == variants.len() {
                        let _ = ready.send(self.index).await;
                    }
                    continue;
                }
                "RESYNC" => self.counters.resyncs.fetch_add(1, Ordering::Relaxed),
                _ => self.counters.changes.fetch_add(1, Ordering::Relaxed),
            };
            if let Some(arrivals) = &self.arrivals {
                let _ = arrivals.send((self.index, update.version, at));
            }
        }
        let _ = ws.close(None).await;
        Ok(())
    }
}
