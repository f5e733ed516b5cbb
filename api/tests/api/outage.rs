//! A database outage (issue 11 item 10): while Postgres cannot be reached, clients get
//! a quick, retryable SERVICE_UNAVAILABLE (HTTP 503 with Retry-After) instead of a
//! 200 INTERNAL_SERVER_ERROR after seconds; when it is back, the server recovers by
//! itself. Postgres only (SQLite is embedded and has no outage); the shared server is
//! never touched: the test's server reaches it through a TCP relay the test cuts.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{TestApp, TestDb, code};

/// A TCP relay to the database that the test can cut and restore.
struct Relay {
    addr: std::net::SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let accept = tokio::spawn({
            let (up, connections) = (up.clone(), connections.clone());
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if !up.load(std::sync::atomic::Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let upstream = upstream.clone();
                    let task = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    connections.lock().unwrap().push(task.abort_handle());
                }
            }
        });
        Relay { addr, up, connections, accept }
    }

    /// Drops every relayed connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

async fn listing(app: &TestApp) -> (u16, Option<String>, Value) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ products(first: 2) { totalCount } }" }))
        .send()
        .await
        .expect("the server answers during the outage");
    let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), retry_after, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_database_outage_is_a_quick_retryable_503_and_the_server_recovers() {
    let db = TestDb::seeded();
    if !db.is_postgres() {
        crate::helpers::skip(
            "outage::a_database_outage_is_a_quick_retryable_503",
            "needs Postgres (TEST_DATABASE_URL); SQLite is embedded",
        );
        return;
    }
    let url = url::Url::parse(&db.url()).unwrap();
    let relay = Relay::to(format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))).await;
    let mut relayed = url.clone();
    relayed.set_port(Some(relay.addr.port())).unwrap();
    relayed.set_host(Some("127.0.0.1")).unwrap();
    let app = TestApp::spawn_with(
        db,
        &[("DATABASE_URL", relayed.as_str()), ("DATABASE_ACQUIRE_TIMEOUT_MS", "1000"), ("RESPONSE_CACHE_ENTRIES", "0")],
    )
    .await;
    let (status, _, body) = listing(&app).await;
    assert_eq!(status, 200, "{body}");
    let customer = app.user(stockade_domain::accounts::Role::Customer).await;

    relay.cut();
    let started = Instant::now();
    let (status, retry_after, body) = listing(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body["errors"][0]), "SERVICE_UNAVAILABLE", "{body}");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().unwrap() >= 1), "Retry-After is sent");
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() >= 1);
    assert!(!body.to_string().to_lowercase().contains("pool"), "no library text reaches the client: {body}");
    assert!(started.elapsed() < Duration::from_secs(15), "answered within the acquire timeout, not held");

    // A signed-in request fails the same way (not as UNAUTHENTICATED), and so does a mutation.
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&customer.access_token)
        .json(&json!({ "query": "mutation { cartCreate { cart { id } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "SERVICE_UNAVAILABLE", "{body}");

    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _, body) = listing(&app).await;
        if status == 200 {
            assert!(body["data"]["products"]["totalCount"].as_i64().unwrap() > 0);
            break;
        }
        assert!(Instant::now() < deadline, "the server recovers by itself once the database is back: {status} {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
