//! Faults with real processes: two `stockade` binaries on one database sell the last
//! units of a drop, and one of them is killed with SIGKILL in the middle of the sale.
//! No buyer told "paid" is without a paid order, nothing is oversold, every hold the
//! dead instance stranded is released once it expires, and the ledger reconciles. Runs
//! on both backends (two processes share the SQLite file the way they share Postgres).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use stockade_domain::entity::order;

use crate::buyers::{Shop, Told};
use crate::commerce::{assert_reconciles, stock, stocked_variant};
use crate::helpers::{TestApp, TestDb};
use crate::process::ServerProcess;

const UNITS: i64 = 12;
const BUYERS: usize = 32;

async fn instance(db: &TestDb) -> ServerProcess {
    ServerProcess::for_sale(&db.url(), &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_two_instances_killed_mid_sale_loses_no_paid_order_and_oversells_nothing() {
    let db = Arc::new(TestDb::seeded());
    let setup = TestApp::spawn_on(db.clone(), &[]).await;
    let (variant, variant_id) = stocked_variant(&setup, UNITS, 2_000).await;
    let mut doomed = instance(&db).await;
    let survivor = instance(&db).await;

    // Buyers on both instances at once. Those of the instance to be killed keep coming
    // (a new buyer after each answer) until it is gone, so the kill lands in traffic.
    let (to_doomed, to_survivor) = (Arc::new(Shop::new(&doomed.base)), Arc::new(Shop::new(&survivor.base)));
    let buyers: Vec<_> = (0..BUYERS)
        .map(|n| {
            let variant = variant.clone();
            if n % 2 == 0 {
                let shop = to_doomed.clone();
                tokio::spawn(async move {
                    let mut told = Vec::new();
                    for round in 0.. {
                        let t = shop.buy(&variant, n * 1_000 + round).await;
                        let gone = matches!(t, Told::LostContact);
                        told.push(t);
                        if gone {
                            return told;
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    told
                })
            } else {
                let shop = to_survivor.clone();
                tokio::spawn(async move { vec![shop.buy(&variant, n).await] })
            }
        })
        .collect();
    // Mid-sale: the first orders paid, others between cart and payment.
    let started = Instant::now();
    loop {
        let paid = order::Entity::find().filter(order::Column::Status.eq("paid")).all(setup.database.conn()).await.unwrap().len();
        if paid >= 2 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    doomed.child.start_kill().expect("SIGKILL");
    doomed.child.wait().await.unwrap();

    let mut told = Vec::new();
    for (n, b) in buyers.into_iter().enumerate() {
        for t in b.await.unwrap() {
            if n % 2 == 1 {
                assert!(!matches!(t, Told::LostContact), "buyer {n} on the surviving instance got no final answer");
            }
            told.push(t);
        }
    }
    let count = |f: fn(&Told) -> bool| told.iter().filter(|t| f(t)).count();
    let (paid_count, out_of_stock, lost) =
        (count(|t| matches!(t, Told::Paid(_))), count(|t| matches!(t, Told::OutOfStock)), count(|t| matches!(t, Told::LostContact)));
    eprintln!("kill -9 mid-sale: {paid_count} buyers told paid, {out_of_stock} out of stock, {lost} cut off");

    // Time passes: whatever the dead instance held expires, on the survivor's schedule.
    order::Entity::update_many()
        .col_expr(order::Column::PaymentDeadline, Expr::val(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(order::Column::Status.eq("pending_payment"))
        .exec(setup.database.conn())
        .await
        .unwrap();
    setup.services.payments.expire_unpaid(1_000).await.unwrap();
    setup.inventory.sweep_expired_as_of(chrono::Utc::now() + chrono::Duration::hours(1), 1_000).await.unwrap();

    // Every buyer told "paid" has a paid order; nothing is oversold or left held.
    let orders_now = order::Entity::find().all(setup.database.conn()).await.unwrap();
    let status_of = |id: &str| {
        let row = crate::payments::db_id(&json!(id));
        orders_now.iter().find(|o| o.id == row).map(|o| o.status.clone())
    };
    let paid_told: Vec<&String> = told.iter().filter_map(|t| if let Told::Paid(id) = t { Some(id) } else { None }).collect();
    for id in &paid_told {
        assert_eq!(status_of(id).as_deref(), Some("paid"), "a buyer was told paid: {id}");
    }
    let paid = orders_now.iter().filter(|o| o.status == "paid").count() as i64;
    assert!(paid >= paid_told.len() as i64 && paid <= UNITS, "{paid} paid orders, {} buyers told paid", paid_told.len());
    assert_eq!(stock(&setup, variant_id).await, (UNITS - paid, 0), "sold once per paid order; no hold left");
    assert!(
        orders_now.iter().all(|o| matches!(o.status.as_str(), "paid" | "expired")),
        "{:?}",
        orders_now.iter().map(|o| &o.status).collect::<Vec<_>>()
    );
    // The survivor still sells: whatever is left goes to the next buyer.
    let next = to_survivor.buy(&variant, 1_000).await;
    if paid < UNITS {
        assert!(matches!(next, Told::Paid(_)), "{next:?}");
    } else {
        assert!(matches!(next, Told::OutOfStock), "{next:?}");
    }
    assert_reconciles(&setup).await;
}
