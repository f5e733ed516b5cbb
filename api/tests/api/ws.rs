//! A small GraphQL-over-WebSocket client for tests (graphql-transport-ws, or the legacy
//! graphql-ws protocol).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The subprotocol spoken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// graphql-transport-ws (the `graphql-ws` library).
    TransportWs,
    /// The legacy subscriptions-transport-ws protocol, named `graphql-ws`.
    LegacyWs,
}

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    protocol: Protocol,
}

impl Ws {
    /// Connects, sends `connection_init` (with `Bearer <token>` if given) and waits for
    /// the acknowledgement.
    pub async fn connect(addr: SocketAddr, token: Option<&str>) -> Ws {
        Self::connect_with(addr, token, Protocol::TransportWs).await
    }

    pub async fn connect_with(addr: SocketAddr, token: Option<&str>, protocol: Protocol) -> Ws {
        let mut request = format!("ws://{addr}/graphql").into_client_request().expect("request");
        let name = match protocol {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        };
        request.headers_mut().insert("sec-websocket-protocol", name.parse().expect("header"));
        let (stream, _) = tokio_tungstenite::connect_async(request).await.expect("WebSocket connects");
        let mut ws = Ws { stream, protocol };
        let payload = token.map_or(json!({}), |t| json!({ "authorization": format!("Bearer {t}") }));
        ws.send(json!({ "type": "connection_init", "payload": payload })).await;
        let ack = ws.next(Duration::from_secs(5)).await.expect("connection_ack in time");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ws
    }

    pub async fn send(&mut self, message: Value) {
        self.stream.send(Message::Text(message.to_string().into())).await.expect("send");
    }

    /// Starts operation `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            Protocol::TransportWs => "subscribe",
            Protocol::LegacyWs => "start",
        };
        self.send(json!({ "type": kind, "id": id, "payload": { "query": query, "variables": variables } })).await;
    }

    /// Stops operation `id`.
    pub async fn stop(&mut self, id: &str) {
        let kind = match self.protocol {
            Protocol::TransportWs => "complete",
            Protocol::LegacyWs => "stop",
        };
        self.send(json!({ "type": kind, "id": id })).await;
    }

    /// The next protocol message within `within` (answering pings on the way); `None`
    /// if none came or the socket closed.
    pub async fn next(&mut self, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.stream.next()).await.ok()??.ok()?;
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("JSON message");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    if value["type"] == "ka" {
                        continue;
                    }
                    return Some(value);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The payload of the next result of `id` (`next`, or `data` in the legacy
    /// protocol) within `within`; panics on anything else.
    pub async fn next_payload(&mut self, id: &str, within: Duration) -> Value {
        let message = self.next(within).await.unwrap_or_else(|| panic!("no message for {id} within {within:?}"));
        assert_eq!(message["id"], id, "{message}");
        assert!(message["type"] == "next" || message["type"] == "data", "expected a result: {message}");
        message["payload"].clone()
    }

    /// The `data.<field>` of the next result of `id`, asserting it has no errors.
    pub async fn next_data(&mut self, id: &str, field: &str, within: Duration) -> Value {
        let payload = self.next_payload(id, within).await;
        assert!(payload.get("errors").is_none_or(Value::is_null), "unexpected errors: {payload}");
        payload["data"][field].clone()
    }

    /// The first error of operation `id`: an `error` message (a request error: parse,
    /// validation, limits), or a result with errors followed by `complete`. The socket
    /// stays open.
    pub async fn next_error(&mut self, id: &str) -> Value {
        let message = self.next(Duration::from_secs(5)).await.unwrap_or_else(|| panic!("no message for {id}"));
        assert_eq!(message["id"], id, "{message}");
        if message["type"] == "error" {
            let error = message["payload"][0].clone();
            assert!(error.is_object(), "expected an error: {message}");
            return error;
        }
        assert!(message["type"] == "next" || message["type"] == "data", "expected a result: {message}");
        let payload = message["payload"].clone();
        let error = payload["errors"][0].clone();
        assert!(error.is_object(), "expected an error: {payload}");
        let done = self.next(Duration::from_secs(5)).await.expect("complete after the error");
        assert_eq!((done["type"].as_str(), done["id"].as_str()), (Some("complete"), Some(id)), "{done}");
        error
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(Message::Text(text.to_owned().into())).await.expect("send");
    }

    /// The close frame's code and reason, waiting up to `within` (skipping other messages).
    pub async fn closed_with(&mut self, within: Duration) -> Option<(u16, String)> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.stream.next()).await.ok()?? {
                Ok(Message::Close(Some(frame))) => return Some((u16::from(frame.code), frame.reason.to_string())),
                Ok(Message::Close(None)) => return Some((1005, String::new())),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Connects without sending `connection_init`.
    pub async fn connect_raw(addr: SocketAddr) -> Ws {
        let mut request = format!("ws://{addr}/graphql").into_client_request().expect("request");
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
        let (stream, _) = tokio_tungstenite::connect_async(request).await.expect("WebSocket connects");
        Ws { stream, protocol: Protocol::TransportWs }
    }

    /// Closes the socket.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
