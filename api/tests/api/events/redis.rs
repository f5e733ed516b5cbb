//! Two server instances on one database and one Redis: events cross over, and the
//! link survives Redis going away and coming back. Skipped unless `TEST_REDIS_URL` is
//! set; the outage test runs its own throwaway `redis-server`, never the shared one.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use stockade_domain::events::{BusHealth, BusMessage, ResyncReason};

use super::{commit, event, eventually, next_event, next_message, open};
use crate::helpers::{TestApp, TestDb};

fn test_redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty());
    if url.is_none() {
        crate::helpers::skip("events::redis", "TEST_REDIS_URL is not set");
    }
    url
}

/// Two instances sharing `db` and one Redis channel; only `a` runs a publisher.
async fn two_instances(db: Arc<TestDb>, redis_url: &str) -> (TestApp, TestApp) {
    let channel = format!("stockade:test:{}", uuid::Uuid::new_v4().simple());
    let common = [("REDIS_URL", redis_url), ("REDIS_EVENTS_CHANNEL", channel.as_str())];
    let a = TestApp::spawn_on(db.clone(), &[common[0], common[1], ("EVENTS_PUBLISHER", "on")]).await;
    let b = TestApp::spawn_on(db, &common).await;
    (a, b)
}

async fn both_connected(a: &TestApp, b: &TestApp, within: Duration) -> bool {
    eventually(within, || a.bus.health() == BusHealth::Connected && b.bus.health() == BusHealth::Connected).await
}

#[tokio::test]
async fn an_event_committed_through_one_instance_reaches_a_subscriber_on_another() {
    let Some(redis_url) = test_redis_url() else { return };
    let (a, b) = two_instances(Arc::new(TestDb::empty()), &redis_url).await;
    assert!(both_connected(&a, &b, Duration::from_secs(5)).await, "both instances reach Redis");
    let ready: Value = b.client.get(b.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["checks"]["event_bus"], "connected");

    let db = open(&a.db).await;
    let (mut on_a, mut on_b) = (a.bus.subscribe(), b.bus.subscribe());
    commit(&db, &[event("5:1", 1)]).await;
    a.outbox_notify.notify();
    let remote = next_event(&mut on_b, Duration::from_secs(1)).await.expect("reaches instance B within a second");
    assert_eq!((remote.aggregate_id.as_str(), remote.sequence), ("5:1", 1));
    let local = next_event(&mut on_a, Duration::from_secs(1)).await.expect("and A's own subscriber");
    assert_eq!(local.id, remote.id, "same outbox id everywhere");
    assert!(next_message(&mut on_a, Duration::from_millis(300)).await.is_none(), "A ignores its own echo from Redis");
    assert!(next_message(&mut on_b, Duration::from_millis(100)).await.is_none(), "B gets it once");
    db.close().await;
}

/// A `redis-server` of our own on a free port, killed on drop.
struct ThrowawayRedis {
    port: u16,
    child: Option<Child>,
}

impl ThrowawayRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut redis = ThrowawayRedis { port, child: None };
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "redis-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ThrowawayRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn when_redis_goes_away_local_delivery_continues_and_cross_instance_delivery_resumes_after() {
    if test_redis_url().is_none() {
        return;
    }
    let mut redis = ThrowawayRedis::start();
    let (a, b) = two_instances(Arc::new(TestDb::empty()), &redis.url()).await;
    assert!(both_connected(&a, &b, Duration::from_secs(5)).await);
    let db = open(&a.db).await;
    let (mut on_a, mut on_b) = (a.bus.subscribe(), b.bus.subscribe());

    commit(&db, &[event("9:1", 1)]).await;
    a.outbox_notify.notify();
    assert_eq!(next_event(&mut on_b, Duration::from_secs(1)).await.expect("crosses over").sequence, 1);
    assert_eq!(next_event(&mut on_a, Duration::from_secs(1)).await.expect("local").sequence, 1);

    redis.kill();
    assert!(
        eventually(Duration::from_secs(10), || a.bus.health() == BusHealth::Degraded && b.bus.health() == BusHealth::Degraded).await,
        "both notice the outage"
    );
    commit(&db, &[event("9:1", 2)]).await;
    a.outbox_notify.notify();
    assert_eq!(next_event(&mut on_a, Duration::from_secs(1)).await.expect("local delivery continues").sequence, 2);
    a.gql_ok("{ categories { slug } }", json!({})).await;
    assert_eq!(a.client.get(a.url("/readyz")).send().await.unwrap().status(), 200);

    redis.restart();
    assert!(both_connected(&a, &b, Duration::from_secs(15)).await, "both reconnect by themselves");
    // B may have missed events while it was cut off: it is told to resync (once for its
    // own outage, once for A's notice that it could not send event 2).
    match next_message(&mut on_b, Duration::from_secs(7)).await {
        Some(BusMessage::Resync(ResyncReason::RemoteGap)) => {}
        other => panic!("expected a resync on B, got {other:?}"),
    }
    commit(&db, &[event("9:1", 3)]).await;
    a.outbox_notify.notify();
    let resumed = next_event(&mut on_b, Duration::from_secs(2)).await.expect("cross-instance delivery resumes");
    assert_eq!(resumed.sequence, 3);

    let metrics = a.client.get(a.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("stockade_events_redis_connected 1"), "{metrics}");
    assert!(metrics.contains("stockade_events_redis_disconnects_total 1"), "one outage, reported once: {metrics}");
    db.close().await;
}
