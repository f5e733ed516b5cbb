//! Group commit per SKU: requests that queue for a SKU while one of its transactions is
//! in the database are served together by the next one, in arrival order, committed
//! once; a batch that fails applies nothing and answers everyone; a caller that gives
//! up leaves nothing behind; a full queue refuses with a retryable error.
//!
//! To make a batch form on purpose, a test first *blocks* the SKU's lane with a write
//! that waits inside its turn, queues requests one by one behind it, then lets it go.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use stockade_domain::actor::Actor;
use stockade_domain::entity::{outbox, reservation, stock_level, stock_movement};
use stockade_domain::error::Error;
use stockade_domain::inventory::aggregate_id;
use stockade_domain::inventory::{CombineLimits, InventoryService, Reservation, ReserveLine};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

use super::{Fixture, STAFF, TTL, cart};
use crate::helpers::{TestDb, skip};

/// Time for a spawned request to reach its lane's queue, so the next one queues after it.
const QUEUE_STEP: Duration = Duration::from_millis(40);

/// A write holding a SKU's lane until released.
struct Blocker {
    release: Arc<Semaphore>,
    task: JoinHandle<Result<(), Error>>,
}

impl Blocker {
    async fn on(inv: &InventoryService, sku: i64) -> Blocker {
        let (release, entered) = (Arc::new(Semaphore::new(0)), Arc::new(Notify::new()));
        let (inv, gate, seen) = (inv.clone(), release.clone(), entered.clone());
        let task = tokio::spawn(async move {
            inv.write_combined("test blocker", [sku], |_txn| {
                let (gate, seen) = (gate.clone(), seen.clone());
                async move {
                    seen.notify_one();
                    let _ = gate.acquire().await;
                    Ok(())
                }
            })
            .await
        });
        entered.notified().await;
        Blocker { release, task }
    }

    async fn release(self) {
        self.release.add_permits(1);
        self.task.await.expect("the blocker ran").expect("the blocker committed");
    }
}

/// Reserves `quantity` of `sku` for `owner` on a task of its own, then waits until it
/// has surely queued.
async fn queue_reserve(inv: &InventoryService, sku: i64, quantity: i64, owner: &str) -> JoinHandle<Result<Vec<Reservation>, Error>> {
    let (inv, owner) = (inv.clone(), cart(owner));
    let task = tokio::spawn(async move { inv.reserve(&[ReserveLine::new(sku, quantity)], &owner, TTL, Actor::Guest).await });
    tokio::time::sleep(QUEUE_STEP).await;
    task
}

/// A cart-style write (its own work on the shared transaction) that holds `quantity`.
async fn queue_turn(inv: &InventoryService, sku: i64, quantity: i64, owner: &str) -> JoinHandle<Result<Vec<Reservation>, Error>> {
    let (inv, owner) = (inv.clone(), cart(owner));
    let task = tokio::spawn(async move {
        let lines = [ReserveLine::new(sku, quantity)];
        inv.write_combined("test turn", [sku], |txn| {
            let (inv, owner) = (inv.clone(), owner.clone());
            async move { inv.reserve_in(&*txn, &lines, &owner, TTL, Actor::Guest).await }
        })
        .await
    });
    tokio::time::sleep(QUEUE_STEP).await;
    task
}

async fn held_by(fx: &Fixture, owner: &str) -> Vec<reservation::Model> {
    reservation::Entity::find()
        .filter(reservation::Column::OwnerId.eq(cart(owner).id()))
        .filter(reservation::Column::Status.eq("active"))
        .all(fx.db.conn())
        .await
        .expect("reservations")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_queued_batch_is_served_in_arrival_order_and_the_first_comers_get_the_last_units() {
    let fx = Fixture::new(16).await;
    let [sku] = fx.variants("Drop", &["DROP-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 5, STAFF, "drop").await.unwrap();

    let blocker = Blocker::on(&fx.inv, sku).await;
    let first = queue_reserve(&fx.inv, sku, 3, "first").await;
    let second = queue_reserve(&fx.inv, sku, 3, "second").await;
    let third = queue_reserve(&fx.inv, sku, 2, "third").await;
    let fourth = queue_turn(&fx.inv, sku, 1, "fourth").await;
    blocker.release().await;

    let first = first.await.unwrap().expect("the first comer is served");
    assert_eq!(first.iter().map(|r| r.quantity).sum::<i64>(), 3);
    match second.await.unwrap() {
        Err(Error::OutOfStock { requested: 3, available: 2, .. }) => {}
        other => panic!("the second is told what is left: {other:?}"),
    }
    let third = third.await.unwrap().expect("a later, smaller request still fits");
    assert_eq!(third.iter().map(|r| r.quantity).sum::<i64>(), 2);
    assert!(matches!(fourth.await.unwrap(), Err(Error::OutOfStock { requested: 1, available: 0, .. })), "sold out by then");
    assert_eq!(first[0].created_at, third[0].created_at, "one transaction served both");

    // One guarded update for the sum, yet one ledger row per reservation, each with the
    // level as it stood after it, versions in arrival order.
    let level = fx.inv.level(sku, main).await.unwrap();
    assert_eq!((level.on_hand, level.reserved, level.version), (5, 5, 3));
    let rows: Vec<(i64, i64, String)> = stock_movement::Entity::find()
        .filter(stock_movement::Column::Reason.eq("reserve"))
        .order_by_asc(stock_movement::Column::Id)
        .all(fx.db.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.reserved_after, m.version_after, m.reference_id.unwrap_or_default()))
        .collect();
    assert_eq!(rows, [(3, 2, first[0].id.to_string()), (5, 3, third[0].id.to_string())]);
    // Their events, written with the ledger rows, go out in the same order (by outbox
    // id, the order of publication), each naming its own ledger row.
    let events: Vec<(i64, i64, i64)> = outbox::Entity::find()
        .filter(outbox::Column::AggregateId.eq(aggregate_id(sku, main)))
        .order_by_asc(outbox::Column::Id)
        .all(fx.db.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.sequence, e.payload["reserved"].as_i64().unwrap_or(-1), e.payload["movement"]["id"].as_i64().unwrap_or(-1)))
        .collect();
    let ledger: Vec<i64> = stock_movement::Entity::find()
        .order_by_asc(stock_movement::Column::Id)
        .all(fx.db.conn())
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(events, [(1, 0, ledger[0]), (2, 3, ledger[1]), (3, 5, ledger[2])]);
    assert_eq!(held_by(&fx, "second").await.len() + held_by(&fx, "fourth").await.len(), 0);
    fx.assert_reconciles().await;
}

/// Makes every insert of a reservation fail while `test_fail` has a row (a trigger).
async fn install_failure(fx: &Fixture) {
    let conn = fx.db.conn();
    conn.execute_unprepared("CREATE TABLE test_fail (x INTEGER)").await.unwrap();
    if fx.db.is_postgres() {
        conn.execute_unprepared(
            "CREATE FUNCTION test_fail_reservation() RETURNS trigger AS $$ BEGIN \
             IF EXISTS (SELECT 1 FROM test_fail) THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        )
        .await
        .unwrap();
        conn.execute_unprepared(
            "CREATE TRIGGER test_fail_reservation BEFORE INSERT ON reservations FOR EACH ROW EXECUTE FUNCTION test_fail_reservation()",
        )
        .await
        .unwrap();
    } else {
        conn.execute_unprepared(
            "CREATE TRIGGER test_fail_reservation BEFORE INSERT ON reservations WHEN EXISTS (SELECT 1 FROM test_fail) \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_whose_writes_fail_applies_nothing_and_answers_every_waiter() {
    let fx = Fixture::new(16).await;
    let [sku] = fx.variants("Drop", &["FAIL-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 50, STAFF, "drop").await.unwrap();
    install_failure(&fx).await;
    let before = fx.counts().await;
    fx.db.conn().execute_unprepared("INSERT INTO test_fail (x) VALUES (1)").await.unwrap();

    let blocker = Blocker::on(&fx.inv, sku).await;
    let mut waiters = Vec::new();
    for i in 0..4 {
        waiters.push(queue_reserve(&fx.inv, sku, 1, &format!("bare-{i}")).await);
    }
    waiters.push(queue_turn(&fx.inv, sku, 1, "turn").await);
    blocker.release().await;

    for waiter in waiters {
        let answer = tokio::time::timeout(Duration::from_secs(20), waiter).await.expect("every waiter is answered").unwrap();
        assert!(answer.is_err(), "the injected failure reaches every waiter: {answer:?}");
    }
    assert_eq!(fx.counts().await, before, "no ledger row, event or reservation of the batch is kept");
    assert_eq!(fx.inv.level(sku, main).await.unwrap().reserved, 0);

    // The lane is not stuck: once the failure is gone, the next batch goes through.
    fx.db.conn().execute_unprepared("DELETE FROM test_fail").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 2)], &cart("after"), TTL, Actor::Guest).await.expect("served after the failure");
    assert_eq!(fx.inv.level(sku, main).await.unwrap().reserved, 2);
    fx.assert_reconciles().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_that_fails_at_commit_applies_nothing_and_answers_every_waiter() {
    let test_db = TestDb::empty();
    if !test_db.is_postgres() {
        return skip(
            "a_batch_that_fails_at_commit_applies_nothing_and_answers_every_waiter",
            "a failure at COMMIT is injected with a deferred constraint trigger, which SQLite does not have",
        );
    }
    let fx = Fixture::on(test_db, 16).await;
    let [sku] = fx.variants("Drop", &["COMMIT-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 50, STAFF, "drop").await.unwrap();
    let conn = fx.db.conn();
    conn.execute_unprepared("CREATE TABLE test_fail (x INTEGER)").await.unwrap();
    conn.execute_unprepared(
        "CREATE FUNCTION test_fail_at_commit() RETURNS trigger AS $$ BEGIN \
         IF EXISTS (SELECT 1 FROM test_fail) THEN RAISE EXCEPTION 'injected failure at commit'; END IF; RETURN NULL; END $$ LANGUAGE plpgsql",
    )
    .await
    .unwrap();
    conn.execute_unprepared(
        "CREATE CONSTRAINT TRIGGER test_fail_at_commit AFTER INSERT ON reservations DEFERRABLE INITIALLY DEFERRED \
         FOR EACH ROW EXECUTE FUNCTION test_fail_at_commit()",
    )
    .await
    .unwrap();
    let before = fx.counts().await;
    conn.execute_unprepared("INSERT INTO test_fail (x) VALUES (1)").await.unwrap();

    let blocker = Blocker::on(&fx.inv, sku).await;
    let mut waiters = Vec::new();
    for i in 0..3 {
        waiters.push(queue_reserve(&fx.inv, sku, 1, &format!("bare-{i}")).await);
        waiters.push(queue_turn(&fx.inv, sku, 1, &format!("turn-{i}")).await);
    }
    blocker.release().await;
    for waiter in waiters {
        let answer = tokio::time::timeout(Duration::from_secs(20), waiter).await.expect("every waiter is answered").unwrap();
        assert!(answer.is_err(), "each waiter's work succeeded, yet the batch did not commit: {answer:?}");
    }
    assert_eq!(fx.counts().await, before, "nothing of the batch is applied");
    assert_eq!(fx.inv.level(sku, main).await.unwrap().reserved, 0);
    conn.execute_unprepared("DELETE FROM test_fail").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 1)], &cart("after"), TTL, Actor::Guest).await.expect("served after the failure");
    fx.assert_reconciles().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_that_give_up_leave_no_reservation_and_do_not_stall_the_others() {
    let fx = Fixture::new(16).await;
    let [sku] = fx.variants("Drop", &["GONE-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 10, STAFF, "drop").await.unwrap();

    // Gives up while queued: never served.
    let blocker = Blocker::on(&fx.inv, sku).await;
    let gone = queue_reserve(&fx.inv, sku, 4, "gone").await;
    let stays = queue_reserve(&fx.inv, sku, 1, "stays").await;
    gone.abort();
    // Aborting only asks: wait until the caller is really gone before its batch forms.
    assert!(gone.await.expect_err("the blocked caller cannot have finished").is_cancelled());
    blocker.release().await;
    assert_eq!(stays.await.unwrap().unwrap().len(), 1);
    assert!(held_by(&fx, "gone").await.is_empty(), "a caller gone before its batch holds nothing");

    // Gives up in the middle of its turn (its reservation written, the turn not over):
    // the batch is rolled back and the others are served by the next one.
    let (inside, stuck) = (Arc::new(Notify::new()), Arc::new(Semaphore::new(0)));
    let blocker = Blocker::on(&fx.inv, sku).await;
    let midway = {
        let (inv, inside, stuck) = (fx.inv.clone(), inside.clone(), stuck.clone());
        tokio::spawn(async move {
            inv.write_combined("test midway", [sku], |txn| {
                let (inv, inside, stuck) = (inv.clone(), inside.clone(), stuck.clone());
                async move {
                    inv.reserve_in(&*txn, &[ReserveLine::new(sku, 3)], &cart("midway"), TTL, Actor::Guest).await?;
                    inside.notify_one();
                    let _ = stuck.acquire().await;
                    Ok(())
                }
            })
            .await
        })
    };
    tokio::time::sleep(QUEUE_STEP).await;
    let after = queue_reserve(&fx.inv, sku, 2, "after-midway").await;
    blocker.release().await;
    inside.notified().await;
    midway.abort();
    let served = tokio::time::timeout(Duration::from_secs(20), after).await.expect("not stalled").unwrap().expect("served again");
    assert_eq!(served.iter().map(|r| r.quantity).sum::<i64>(), 2);
    assert!(held_by(&fx, "midway").await.is_empty(), "the half-done turn was not committed");
    let level = fx.inv.level(sku, main).await.unwrap();
    assert_eq!(level.reserved, 1 + 2);
    fx.assert_reconciles().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lone_caller_on_a_quiet_sku_writes_on_its_own_and_leaves_nothing_if_it_gives_up() {
    let fx = Fixture::new(16).await;
    let [sku] = fx.variants("Drop", &["LONE-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 10, STAFF, "drop").await.unwrap();

    // A writer outside the lanes holds the SKU's row (on SQLite, the write gate), so
    // the lone caller is stuck in its own transaction, its reservation row written.
    let outside = fx.db.begin_write().await.unwrap();
    stock_level::Entity::update_many()
        .col_expr(stock_level::Column::UpdatedAt, Expr::col(stock_level::Column::UpdatedAt))
        .filter(stock_level::Column::VariantId.eq(sku))
        .exec(&*outside)
        .await
        .unwrap();
    let lone = queue_reserve(&fx.inv, sku, 4, "lone").await;
    // The lane is taken by the lone caller: the next one queues behind it.
    let behind = queue_reserve(&fx.inv, sku, 1, "behind").await;
    lone.abort();
    assert!(lone.await.expect_err("the stuck caller cannot have finished").is_cancelled());
    outside.commit().await.unwrap();

    let served = tokio::time::timeout(Duration::from_secs(20), behind).await.expect("not stalled").unwrap().expect("served");
    assert_eq!(served.iter().map(|r| r.quantity).sum::<i64>(), 1);
    // Had it been served by a driver's batch, its reservation would have committed with
    // that batch: only its own transaction, rolled back with it, leaves nothing.
    assert!(held_by(&fx, "lone").await.is_empty(), "a lone caller gone before its commit holds nothing");
    assert_eq!(fx.inv.level(sku, main).await.unwrap().reserved, 1);
    // The lane is quiet again, and the next lone caller goes straight in.
    let again = fx.inv.reserve(&[ReserveLine::new(sku, 2)], &cart("again"), TTL, Actor::Guest).await.expect("quiet again");
    assert_eq!(again.iter().map(|r| r.quantity).sum::<i64>(), 2);
    fx.assert_reconciles().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_queue_refuses_at_once_with_a_retryable_error() {
    let limits = CombineLimits { max_batch: 64, max_queue: 2 };
    let fx = Fixture::with_limits(TestDb::empty(), 16, limits).await;
    let [sku] = fx.variants("Drop", &["FULL-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 10, STAFF, "drop").await.unwrap();

    let blocker = Blocker::on(&fx.inv, sku).await;
    let queued = [queue_reserve(&fx.inv, sku, 1, "a").await, queue_reserve(&fx.inv, sku, 1, "b").await];
    let refused = fx.inv.reserve(&[ReserveLine::new(sku, 1)], &cart("c"), TTL, Actor::Guest).await;
    match refused {
        Err(e @ Error::Overloaded { .. }) => assert!(e.retry_after().is_some(), "says when to retry"),
        other => panic!("a third caller is refused while two wait: {other:?}"),
    }
    blocker.release().await;
    for q in queued {
        q.await.unwrap().expect("the queued ones are served");
    }
    fx.inv.reserve(&[ReserveLine::new(sku, 1)], &cart("c"), TTL, Actor::Guest).await.expect("room again");
    assert_eq!(fx.inv.level(sku, main).await.unwrap().reserved, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_and_multi_line_requests_on_two_instances_race_without_deadlock_or_oversell() {
    let fx = Arc::new(Fixture::new(40).await);
    let skus = fx.variants("Capsule", &["MIX-A", "MIX-B", "MIX-C"]).await;
    let main = fx.location("main", 1).await;
    for &v in &skus {
        fx.inv.restock(v, main, 30, STAFF, "").await.unwrap();
    }
    let instances = Arc::new([fx.inv.clone(), fx.other_instance()]);
    // 60 buyers of all three SKUs (half in each order) and 60 of one SKU each, spread
    // over two instances: 90 units, far more wanted.
    let tasks: Vec<_> = (0..120)
        .map(|i: usize| {
            let (instances, skus) = (instances.clone(), skus.clone());
            tokio::spawn(async move {
                let inv = &instances[i % 2];
                let mut lines: Vec<ReserveLine> =
                    if i < 60 { skus.iter().map(|&v| ReserveLine::new(v, 1)).collect() } else { vec![ReserveLine::new(skus[i % 3], 2)] };
                if i % 4 < 2 {
                    lines.reverse();
                }
                let owner = cart(format!("mix-{i}"));
                let wanted: i64 = lines.iter().map(|l| l.quantity).sum();
                (wanted, inv.reserve(&lines, &owner, TTL, Actor::Guest).await)
            })
        })
        .collect();
    let mut held = 0;
    for task in tasks {
        match tokio::time::timeout(Duration::from_secs(60), task).await.expect("no caller hangs").unwrap() {
            (wanted, Ok(reservations)) => {
                assert_eq!(reservations.iter().map(|r| r.quantity).sum::<i64>(), wanted, "all lines or none");
                held += wanted;
            }
            (_, Err(Error::OutOfStock { .. })) => {}
            (_, Err(other)) => panic!("no deadlock or other error reaches a caller: {other:?}"),
        }
    }
    let levels: i64 = {
        let mut sum = 0;
        for &v in &skus {
            let level = fx.inv.level(v, main).await.unwrap();
            assert!(level.reserved <= level.on_hand, "never oversold");
            sum += level.reserved;
        }
        sum
    };
    assert_eq!(levels, held, "the levels hold exactly what callers were told they hold");
    assert!(held > 0);
    fx.assert_reconciles().await;
}
