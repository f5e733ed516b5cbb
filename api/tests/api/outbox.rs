//! The outbox: events live and die with the transaction that writes them.

use sea_orm::{EntityTrait, PaginatorTrait};
use stockade_domain::entity::outbox;
use stockade_domain::events::{Event, append};

use crate::helpers::{TestDb, config_for};

fn event(sequence: i64) -> Event {
    Event {
        aggregate_type: "stock_level".into(),
        aggregate_id: "1:1".into(),
        sequence,
        event_type: "stock_level.changed".into(),
        payload: serde_json::json!({ "onHand": 5 }),
    }
}

#[tokio::test]
async fn events_commit_and_roll_back_with_their_transaction() {
    let test_db = TestDb::empty();
    let dir = tempfile::tempdir().unwrap();
    let db = stockade::startup::open_database(&config_for(&test_db.url(), dir.path(), &[]), None).await.unwrap();

    let txn = db.begin_write().await.unwrap();
    append(&*txn, &event(1)).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(outbox::Entity::find().count(db.conn()).await.unwrap(), 0, "rolled back: no event");

    let txn = db.begin_write().await.unwrap();
    append(&*txn, &event(1)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(outbox::Entity::find().count(db.conn()).await.unwrap(), 1);

    let txn = db.begin_write().await.unwrap();
    assert!(append(&*txn, &event(1)).await.is_err(), "one event per aggregate version");
    drop(txn);
    db.close().await;
}
