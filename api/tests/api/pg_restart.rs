//! Postgres restarted, then stopped for seconds, in the middle of a sale, on the test's
//! own cluster (initdb + pg_ctl on a free port in a temp dir; the shared server is never
//! touched). The real binary keeps running throughout: while the database is away every
//! request gets a quick, typed, retryable answer (503 `SERVICE_UNAVAILABLE` with
//! Retry-After), never a hang, a 200 `INTERNAL_SERVER_ERROR` or a crash; when it is back
//! the same process serves again without a restart; and nothing is lost or doubled
//! (every buyer told "paid" has exactly one paid order and one captured payment, every
//! paid order was told to exactly one buyer, nothing oversold, the ledger reconciles,
//! every event is delivered).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use stockade_domain::entity::{order, outbox, payment};

use crate::buyers::{Shop, Told};
use crate::cluster::Cluster;
use crate::commerce::{assert_reconciles, stock, stocked_variant};
use crate::helpers::{TestApp, TestDb, skip};
use crate::process::ServerProcess;

const UNITS: i64 = 120;
const BUYERS: usize = 16;

/// Waits until `n` more buyers than `from` have been told "paid".
async fn until_paid(paid: &AtomicUsize, from: usize, n: usize, what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(120);
    while paid.load(Ordering::SeqCst) < from + n {
        assert!(Instant::now() < deadline, "{what}: no sale for two minutes");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    paid.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_and_stopped_under_load_answers_retryable_503s_and_recovers_without_a_restart() {
    let cluster = match tokio::task::spawn_blocking(Cluster::start).await.unwrap() {
        Ok(cluster) => Arc::new(cluster),
        Err(why) => {
            skip("pg_restart::postgres_restarted_and_stopped_under_load", &why);
            return;
        }
    };
    let url = cluster.url();
    // Migrated and seeded (stock locations) by an in-process instance that the test also
    // uses to look inside.
    let setup = TestApp::spawn_with(TestDb::External { url: url.clone() }, &[("SEED_DEMO", "true")]).await;
    let (variant, variant_id) = stocked_variant(&setup, UNITS, 2_000).await;
    let mut server = ServerProcess::for_sale(&url, &[("DATABASE_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let pid = server.child.id();

    // Buyers keep coming (a new one after each answer) until the stock is gone.
    let shop = Arc::new(Shop::new(&server.base));
    let paid = Arc::new(AtomicUsize::new(0));
    let buyers: Vec<_> = (0..BUYERS)
        .map(|n| {
            let (shop, paid, variant) = (shop.clone(), paid.clone(), variant.clone());
            tokio::spawn(async move {
                let mut told = Vec::new();
                for round in 0.. {
                    let t = shop.buy(&variant, n * 10_000 + round).await;
                    let sold = matches!(t, Told::Paid(_));
                    told.push(t);
                    if !sold {
                        break;
                    }
                    paid.fetch_add(1, Ordering::SeqCst);
                }
                told
            })
        })
        .collect();

    // A quick restart once the sale is under way, then (sales seen again) a stop of
    // several seconds with requests arriving all along.
    let before = until_paid(&paid, 0, 3, "before the restart").await;
    cluster.ctl(&["restart", "-m", "fast"]).await;
    let after_restart = until_paid(&paid, before, 3, "after the restart").await;
    cluster.ctl(&["stop", "-m", "immediate"]).await;
    let refused = || shop.unavailable.load(Ordering::SeqCst) + shop.gateway_unavailable.load(Ordering::SeqCst);
    let refused_before = refused();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let answered_during_stop = refused() - refused_before;
    cluster.ctl(&["start"]).await;
    until_paid(&paid, after_restart, 3, "after the stop").await;
    assert!(server.child.try_wait().unwrap().is_none(), "the server process is still the one started: it never exited");
    assert_eq!(server.child.id(), pid);
    assert!(answered_during_stop > 0, "requests during the stop were answered (retryable errors), not held");

    let mut told = Vec::new();
    for b in buyers {
        told.extend(b.await.unwrap_or_else(|e| panic!("{e:?}\n{}", server.log())));
    }
    let (unavailable, gateway) = (shop.unavailable.load(Ordering::SeqCst), shop.gateway_unavailable.load(Ordering::SeqCst));
    let paid_told: Vec<&String> = told.iter().filter_map(|t| if let Told::Paid(id) = t { Some(id) } else { None }).collect();
    eprintln!(
        "postgres restart + 4 s stop: {} buyers told paid; {unavailable} retryable 503s and {gateway} GATEWAY_UNAVAILABLE ({answered_during_stop} while stopped)",
        paid_told.len()
    );
    assert!(!told.iter().any(|t| matches!(t, Told::LostContact)), "no buyer lost contact: {:?}", server.log());

    // Time passes: what is still held expires.
    let conn = setup.database.conn();
    order::Entity::update_many()
        .col_expr(order::Column::PaymentDeadline, Expr::val(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(order::Column::Status.eq("pending_payment"))
        .exec(conn)
        .await
        .unwrap();
    setup.services.payments.expire_unpaid(1_000).await.unwrap();
    setup.inventory.sweep_expired_as_of(chrono::Utc::now() + chrono::Duration::hours(1), 1_000).await.unwrap();

    // Nothing lost: every buyer told "paid" has a paid order. Nothing doubled: one paid
    // order per buyer told so, each with exactly one captured payment.
    let orders = order::Entity::find().all(conn).await.unwrap();
    let paid_orders: Vec<&order::Model> = orders.iter().filter(|o| o.status == "paid").collect();
    let mut told_rows: Vec<i64> = paid_told.iter().map(|id| crate::payments::db_id(&serde_json::json!(id))).collect();
    told_rows.sort_unstable();
    let before_dedup = told_rows.len();
    told_rows.dedup();
    assert_eq!(told_rows.len(), before_dedup, "no order was told paid twice");
    let mut paid_rows: Vec<i64> = paid_orders.iter().map(|o| o.id).collect();
    paid_rows.sort_unstable();
    assert_eq!(paid_rows, told_rows, "the paid orders are exactly those buyers were told about");
    for o in &paid_orders {
        let captured = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(o.id))
            .filter(payment::Column::Status.eq("succeeded"))
            .count(conn)
            .await
            .unwrap();
        assert_eq!(captured, 1, "order {} was charged once", o.id);
    }
    assert!(
        orders.iter().all(|o| matches!(o.status.as_str(), "paid" | "expired")),
        "{:?}",
        orders.iter().map(|o| &o.status).collect::<Vec<_>>()
    );
    let sold = paid_rows.len() as i64;
    assert!(sold <= UNITS);
    assert_eq!(stock(&setup, variant_id).await, (UNITS - sold, 0), "sold once per paid order; no hold left");
    assert_reconciles(&setup).await;

    // The same process still sells what is left, and its publisher delivers every event
    // written before, during and after the outage.
    if sold < UNITS {
        assert!(matches!(shop.buy(&variant, 99_999).await, Told::Paid(_)));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = outbox::Entity::find().filter(outbox::Column::DeliveredAt.is_null()).count(conn).await.unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{pending} events never delivered after the outage");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.child.try_wait().unwrap().is_none());
}
