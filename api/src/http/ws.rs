//! GraphQL over WebSocket.
//!
//! `graphql-transport-ws` (the protocol of the `graphql-ws` library, which urql and
//! Apollo use) is served here, close codes and all:
//!
//! | close | when |
//! |---|---|
//! | 4400 | a message that is not valid JSON, of an unknown type or shape, or binary |
//! | 4401 | `subscribe` before the connection was acknowledged |
//! | 4403 | `connection_init` with credentials that are refused (expired, forged, revoked) |
//! | 4408 | no `connection_init` within `WS_INIT_TIMEOUT_SECS` |
//! | 4409 | `subscribe` with the id of an operation still running |
//! | 4429 | a second `connection_init` |
//! | 4500 | the server failed while accepting the connection (logged; no detail sent) |
//! | 1013 | the database could not be reached while accepting the connection: retry later |
//! | 1001 | the server is shutting down: reconnect (to another instance) |
//!
//! Close reasons are fixed, short texts (a close frame's reason holds 123 bytes).
//! Parse and validation failures of one operation answer an `error` message for that
//! operation and leave the socket open; results stream as `next`, then `complete`.
//! The server pings every [`PING_INTERVAL`] (WebSocket ping frames, which browsers
//! answer by themselves) and drops a peer silent for two intervals.
//!
//! The legacy `graphql-ws` protocol (subscriptions-transport-ws) is still served by
//! async-graphql's implementation for old clients.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::WebSocketProtocols;
use async_graphql::{Data, Response, Variables};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::stream::{AbortHandle, BoxStream, SelectAll};
use futures::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{self, AuthFailure};
use super::state::AppState;
use stockade_domain::accounts::ClientInfo;
use stockade_graphql::error::code;
use stockade_graphql::{PublicOrigin, request_data};

/// Initial read buffer of a WebSocket (it grows for larger client messages).
const READ_BUFFER: usize = 4 * 1024;
/// Outgoing bytes a WebSocket gathers before writing (each message is flushed anyway).
const WRITE_BUFFER: usize = 16 * 1024;
/// How often the server pings; a peer silent for two intervals is dropped.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);

/// The subprotocol a client asked for, best first.
fn choose_protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    let offered: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if offered.iter().any(|p| p.eq_ignore_ascii_case("graphql-transport-ws")) {
        Some(WebSocketProtocols::GraphQLWS)
    } else if offered.iter().any(|p| p.eq_ignore_ascii_case("graphql-ws")) {
        Some(WebSocketProtocols::SubscriptionsTransportWS)
    } else {
        None
    }
}

/// Accepts a WebSocket upgrade on `/graphql`.
pub fn upgrade(
    state: AppState,
    ws: WebSocketUpgrade,
    headers: &HeaderMap,
    origin: Option<PublicOrigin>,
    client: ClientInfo,
) -> HttpResponse {
    let Some(protocol) = choose_protocol(headers) else {
        return super::response::request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "unsupported WebSocket subprotocol (use graphql-transport-ws)",
        );
    };
    let max_message = state.config.graphql.max_body_bytes;
    ws.protocols([protocol.sec_websocket_protocol()])
        // A subscriber mostly listens: small buffers keep an open socket cheap, and a
        // client message is one GraphQL request, bounded like a request body.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            let tracked = state.connections.token();
            async move {
                let connection = Connection { state, origin, client };
                match protocol {
                    WebSocketProtocols::GraphQLWS => connection.serve(socket).await,
                    WebSocketProtocols::SubscriptionsTransportWS => connection.serve_legacy(socket).await,
                }
                drop(tracked);
            }
        })
        .into_response()
}

struct Connection {
    state: AppState,
    origin: Option<PublicOrigin>,
    client: ClientInfo,
}

impl Connection {
    /// The per-connection data for `payload` of `connection_init`, authenticated the
    /// same way as an HTTP request's `Authorization` header.
    async fn init(state: AppState, payload: Value, client: ClientInfo, origin: Option<PublicOrigin>) -> Result<Data, AuthFailure> {
        let authorization = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| payload.get("token").and_then(Value::as_str).map(|t| format!("Bearer {t}")));
        let viewer = auth::viewer(&state, authorization.as_deref()).await?;
        let mut data = request_data(&state.services, async_graphql::Request::new(""), viewer, client, true).data;
        if let Some(origin) = origin {
            data.insert(origin);
        }
        Ok(data)
    }

    /// subscriptions-transport-ws, through async-graphql's implementation.
    async fn serve_legacy(self, socket: WebSocket) {
        let Connection { state, origin, client } = self;
        let executor = state.executor.clone();
        let shutdown = state.shutdown.clone();
        let (mut sink, stream) = socket.split();
        let input = stream
            .take_while(|m| futures::future::ready(matches!(m, Ok(message) if !matches!(message, Message::Close(_)))))
            .filter_map(|m| {
                futures::future::ready(match m {
                    Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
                    Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                    _ => None,
                })
            });
        let mut protocol = async_graphql::http::WebSocket::new(executor, input, WebSocketProtocols::SubscriptionsTransportWS)
            .on_connection_init(move |payload: Value| async move {
                Connection::init(state, payload, client, origin).await.map_err(|failure| match failure {
                    AuthFailure::Refused(_) => async_graphql::Error::new("the access token was refused"),
                    AuthFailure::Internal => async_graphql::Error::new("Internal server error"),
                    AuthFailure::Unavailable => async_graphql::Error::new("the service is temporarily unavailable; try again shortly"),
                })
            })
            .keepalive_timeout(Duration::from_secs(60));
        loop {
            let message = tokio::select! {
                message = protocol.next() => message,
                _ = shutdown.cancelled() => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1001, reason: "server shutting down".into() }))).await;
                    break;
                }
            };
            let sent = match message {
                None => break,
                Some(async_graphql::http::WsMessage::Text(text)) => sink.send(Message::Text(text.into())).await,
                Some(async_graphql::http::WsMessage::Close(code, reason)) => {
                    let reason = truncate(&reason, 123);
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
            };
            if sent.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    }

    /// graphql-transport-ws.
    async fn serve(self, socket: WebSocket) {
        let mut session = Session::new(self.state.clone());
        let (mut sink, mut stream) = socket.split();
        let shutdown = self.state.shutdown.clone();
        let init_deadline = tokio::time::sleep(self.state.config.graphql.ws_init_timeout);
        tokio::pin!(init_deadline);
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
        let mut last_heard = Instant::now();
        let mut pending_init: Option<futures::future::BoxFuture<'static, Result<Data, AuthFailure>>> = None;

        let close = loop {
            let step = tokio::select! {
                biased;
                _ = shutdown.cancelled() => Step::Close(1001, "server shutting down"),
                _ = &mut init_deadline, if session.data.is_none() && pending_init.is_none() => {
                    Step::Close(4408, "Connection initialisation timeout")
                }
                refusal_or_data = async {
                    match pending_init.as_mut() {
                        Some(init) => init.await,
                        None => std::future::pending().await,
                    }
                }, if pending_init.is_some() => {
                    pending_init = None;
                    match refusal_or_data {
                        Ok(data) => {
                            session.data = Some(Arc::new(data));
                            Step::Send(vec![json!({ "type": "connection_ack" })])
                        }
                        Err(AuthFailure::Refused(_)) => Step::Close(4403, "Forbidden"),
                        Err(AuthFailure::Internal) => Step::Close(4500, "Internal server error"),
                        Err(AuthFailure::Unavailable) => Step::Close(1013, "Try again later"),
                    }
                }
                incoming = stream.next() => {
                    last_heard = Instant::now();
                    match incoming {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break None,
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Step::Nothing,
                        Some(Ok(Message::Binary(_))) => Step::Close(4400, "Invalid message received"),
                        Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientMessage>(&text) {
                            Err(_) => Step::Close(4400, "Invalid message received"),
                            Ok(ClientMessage::ConnectionInit { payload }) => {
                                if session.data.is_some() || pending_init.is_some() {
                                    Step::Close(4429, "Too many initialisation requests")
                                } else {
                                    let payload = payload.unwrap_or(Value::Null);
                                    let payload = if payload.is_object() { payload } else { json!({}) };
                                    pending_init = Some(
                                        Connection::init(self.state.clone(), payload, self.client.clone(), self.origin.clone()).boxed(),
                                    );
                                    Step::Nothing
                                }
                            }
                            Ok(ClientMessage::Ping { .. }) => Step::Send(vec![json!({ "type": "pong" })]),
                            Ok(ClientMessage::Pong { .. }) => Step::Nothing,
                            Ok(ClientMessage::Subscribe { id, payload }) => session.subscribe(id, payload),
                            Ok(ClientMessage::Complete { id }) => {
                                session.complete(&id);
                                Step::Nothing
                            }
                        },
                    }
                }
                Some((id, generation, result)) = session.results.next(), if !session.results.is_empty() => {
                    session.forward(id, generation, result)
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > PING_INTERVAL * 2 {
                        break None;
                    }
                    Step::Ping
                }
            };
            let sent = match step {
                Step::Nothing => Ok(()),
                Step::Ping => sink.send(Message::Ping(Default::default())).await,
                Step::Send(messages) => send_all(&mut sink, messages).await,
                Step::Close(code, reason) => break Some((code, reason)),
            };
            if sent.is_err() {
                break None;
            }
        };
        session.abort_all();
        if let Some((code, reason)) = close {
            let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
        }
        let _ = sink.close().await;
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

async fn send_all(sink: &mut futures::stream::SplitSink<WebSocket, Message>, messages: Vec<Value>) -> Result<(), axum::Error> {
    for message in messages {
        sink.feed(Message::Text(message.to_string().into())).await?;
    }
    sink.flush().await
}

/// What the connection does next.
enum Step {
    Nothing,
    Ping,
    Send(Vec<Value>),
    Close(u16, &'static str),
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    extensions: Option<Value>,
}

/// Longest operation id accepted (ids are echoed in every message).
const MAX_ID_LEN: usize = 128;

/// The operations of one connection.
struct Session {
    state: AppState,
    data: Option<Arc<Data>>,
    /// Running operations: their generation (ids may be reused after completion)
    /// and whether a result was sent yet.
    running: HashMap<String, Running>,
    results: SelectAll<BoxStream<'static, (String, u64, Option<Response>)>>,
    generation: u64,
}

struct Running {
    generation: u64,
    abort: AbortHandle,
    started: bool,
}

impl Session {
    fn new(state: AppState) -> Self {
        Session { state, data: None, running: HashMap::new(), results: SelectAll::new(), generation: 0 }
    }

    fn subscribe(&mut self, id: String, payload: SubscribePayload) -> Step {
        let Some(data) = self.data.clone() else { return Step::Close(4401, "Unauthorized") };
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Step::Close(4400, "Invalid message received");
        }
        if self.running.contains_key(&id) {
            return Step::Close(4409, "Subscriber for this id already exists");
        }
        let mut request = async_graphql::Request::new(payload.query);
        if let Some(name) = payload.operation_name.filter(|n| !n.is_empty()) {
            request = request.operation_name(name);
        }
        match payload.variables {
            None | Some(Value::Null) => {}
            Some(vars @ Value::Object(_)) => request = request.variables(Variables::from_json(vars)),
            Some(_) => {
                let error = json!({ "message": "`variables` must be a JSON object", "extensions": { "code": code::BAD_REQUEST } });
                return Step::Send(vec![json!({ "type": "error", "id": id, "payload": [error] })]);
            }
        }
        self.generation += 1;
        let generation = self.generation;
        let (results, abort) = futures::stream::abortable(self.state.executor.execute_stream(request, Some(data)));
        let tagged_id = id.clone();
        let end_id = id.clone();
        self.results.push(
            results
                .map(move |response| (tagged_id.clone(), generation, Some(response)))
                .chain(futures::stream::once(async move { (end_id, generation, None) }))
                .boxed(),
        );
        self.running.insert(id, Running { generation, abort, started: false });
        Step::Nothing
    }

    fn complete(&mut self, id: &str) {
        if let Some(running) = self.running.remove(id) {
            running.abort.abort();
        }
    }

    /// The message for one result (or the end) of operation `id`.
    fn forward(&mut self, id: String, generation: u64, result: Option<Response>) -> Step {
        let Some(running) = self.running.get_mut(&id).filter(|r| r.generation == generation) else { return Step::Nothing };
        let Some(response) = result else {
            self.running.remove(&id);
            return Step::Send(vec![json!({ "type": "complete", "id": id })]);
        };
        // A request error (parse, validation, limits: nothing executed) ends the
        // operation with an `error` message, as the protocol says.
        let request_failed = !running.started
            && matches!(response.data, async_graphql::Value::Null)
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        if request_failed {
            running.abort.abort();
            self.running.remove(&id);
            return Step::Send(vec![json!({ "type": "error", "id": id, "payload": response.errors })]);
        }
        running.started = true;
        Step::Send(vec![json!({ "type": "next", "id": id, "payload": response })])
    }

    fn abort_all(&mut self) {
        for (_, running) in self.running.drain() {
            running.abort.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn offered(value: &str) -> Option<WebSocketProtocols> {
        let mut headers = HeaderMap::new();
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_str(value).unwrap());
        choose_protocol(&headers)
    }

    #[test]
    fn prefers_graphql_transport_ws() {
        assert_eq!(offered("graphql-ws, graphql-transport-ws"), Some(WebSocketProtocols::GraphQLWS));
        assert_eq!(offered("graphql-ws"), Some(WebSocketProtocols::SubscriptionsTransportWS));
        assert_eq!(offered("mqtt"), None);
        assert_eq!(choose_protocol(&HeaderMap::new()), None);
    }

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 123), "abc");
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        for reason in [
            "Invalid message received",
            "Unauthorized",
            "Forbidden",
            "Connection initialisation timeout",
            "Subscriber for this id already exists",
            "Too many initialisation requests",
            "Internal server error",
            "server shutting down",
        ] {
            assert!(reason.len() <= 123);
        }
    }
}
