//! Random sequences of inventory operations keep every invariant after every step.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use stockade_domain::actor::Actor;
use stockade_domain::error::Error;
use stockade_domain::inventory::{Adjustment, MovementReason, ReleaseTarget, ReservationStatus, ReserveLine, StockChange};

use super::{Fixture, STAFF, TTL, cart};

const VARIANTS: usize = 3;
const OWNERS: u8 = 4;

#[derive(Clone, Debug)]
enum Op {
    Reserve {
        owner: u8,
        lines: Vec<(usize, i64)>,
    },
    /// Reservations sent at once, so they queue and are served together in batches.
    Burst {
        reserves: Vec<(u8, Vec<(usize, i64)>)>,
    },
    Release {
        owner: u8,
    },
    Commit {
        owner: u8,
    },
    Extend {
        owner: u8,
    },
    Restock {
        variant: usize,
        location: usize,
        quantity: i64,
    },
    Adjust {
        variant: usize,
        location: usize,
        delta: i64,
    },
    SetOnHand {
        variant: usize,
        location: usize,
        count: i64,
    },
    Transfer {
        variant: usize,
        from: usize,
        to: usize,
        quantity: i64,
    },
    SweepAll,
}

fn op() -> impl Strategy<Value = Op> {
    let v = 0..VARIANTS;
    let owner = 0..OWNERS;
    prop_oneof![
        4 => (owner.clone(), prop::collection::vec((v.clone(), 1..6i64), 1..4)).prop_map(|(owner, lines)| Op::Reserve { owner, lines }),
        2 => prop::collection::vec((owner.clone(), prop::collection::vec((v.clone(), 1..4i64), 1..3)), 2..10)
            .prop_map(|reserves| Op::Burst { reserves }),
        1 => owner.clone().prop_map(|owner| Op::Release { owner }),
        1 => owner.clone().prop_map(|owner| Op::Commit { owner }),
        1 => owner.prop_map(|owner| Op::Extend { owner }),
        2 => (v.clone(), 0..2usize, 1..12i64).prop_map(|(variant, location, quantity)| Op::Restock { variant, location, quantity }),
        1 => (v.clone(), 0..2usize, prop_oneof![-6..0i64, 1..7i64]).prop_map(|(variant, location, delta)| Op::Adjust { variant, location, delta }),
        1 => (v.clone(), 0..2usize, 0..15i64).prop_map(|(variant, location, count)| Op::SetOnHand { variant, location, count }),
        1 => (v, 0..2usize, 0..2usize, 1..6i64).prop_map(|(variant, from, to, quantity)| Op::Transfer { variant, from, to, quantity }),
        1 => Just(Op::SweepAll),
    ]
}

#[test]
fn random_operation_sequences_keep_every_invariant() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fx = rt.block_on(async {
        let fx = Fixture::new(4).await;
        let locations = vec![fx.location("main", 1).await, fx.location("east", 2).await];
        (fx, locations)
    });
    let (fx, locations) = (&fx.0, &fx.1);
    let case = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let result = runner.run(&prop::collection::vec(op(), 1..30), |ops| {
        let n = case.fetch_add(1, Ordering::Relaxed);
        rt.block_on(run_case(fx, locations, n, ops))
    });
    rt.block_on(fx.db.close());
    if let Err(e) = result {
        panic!("{e}");
    }
}

async fn run_case(fx: &Fixture, locations: &[i64], case: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let skus: Vec<String> = (0..VARIANTS).map(|i| format!("P{case}-{i}")).collect();
    let variants = fx.variants(&format!("Prop {case}"), &skus.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let owner = |o: u8| cart(format!("{case}-{o}"));
    // The model: units each owner holds, per variant.
    let mut held: HashMap<u8, HashMap<i64, i64>> = HashMap::new();

    for op in ops {
        let before = fx.counts().await;
        let result: Result<(), Error> = match &op {
            Op::Reserve { owner: o, lines } => {
                let lines: Vec<ReserveLine> = lines.iter().map(|&(v, q)| ReserveLine::new(variants[v], q)).collect();
                fx.inv.reserve(&lines, &owner(*o), TTL, Actor::Guest).await.map(|reservations| {
                    let mut got: HashMap<i64, i64> = HashMap::new();
                    for r in &reservations {
                        *got.entry(r.variant_id).or_default() += r.quantity;
                    }
                    let mut asked: HashMap<i64, i64> = HashMap::new();
                    for l in &lines {
                        *asked.entry(l.variant_id).or_default() += l.quantity;
                    }
                    assert_eq!(got, asked, "all lines reserved in full");
                    for (v, q) in got {
                        *held.entry(*o).or_default().entry(v).or_default() += q;
                    }
                })
            }
            Op::Burst { reserves } => {
                let calls = reserves.iter().map(|(o, lines)| {
                    let lines: Vec<ReserveLine> = lines.iter().map(|&(v, q)| ReserveLine::new(variants[v], q)).collect();
                    let who = owner(*o);
                    async move { (lines.clone(), fx.inv.reserve(&lines, &who, TTL, Actor::Guest).await) }
                });
                for ((o, _), (lines, answer)) in reserves.iter().zip(futures::future::join_all(calls).await) {
                    match answer {
                        Ok(reservations) => {
                            let got: i64 = reservations.iter().map(|r| r.quantity).sum();
                            prop_assert_eq!(got, lines.iter().map(|l| l.quantity).sum::<i64>(), "all lines reserved in full");
                            for r in reservations {
                                *held.entry(*o).or_default().entry(r.variant_id).or_default() += r.quantity;
                            }
                        }
                        Err(e) => prop_assert!(matches!(e, Error::OutOfStock { .. }), "{:?} failed unexpectedly: {:?}", lines, e),
                    }
                }
                Ok(())
            }
            Op::Release { owner: o } => fx.inv.release(&ReleaseTarget::Owner(owner(*o)), Actor::Guest).await.map(|_| {
                held.remove(o);
            }),
            Op::Commit { owner: o } => fx.inv.commit(&owner(*o), &format!("order-{case}-{o}"), Actor::Guest).await.map(|_| {
                held.remove(o);
            }),
            Op::Extend { owner: o } => fx.inv.extend(&owner(*o), TTL).await.map(drop),
            Op::Restock { variant, location, quantity } => {
                fx.inv.restock(variants[*variant], locations[*location], *quantity, STAFF, "").await.map(drop)
            }
            Op::Adjust { variant, location, delta } => {
                fx.inv.adjust(&adjustment(variants[*variant], locations[*location], StockChange::Delta(*delta)), STAFF).await.map(drop)
            }
            Op::SetOnHand { variant, location, count } => {
                fx.inv.adjust(&adjustment(variants[*variant], locations[*location], StockChange::SetOnHand(*count)), STAFF).await.map(drop)
            }
            Op::Transfer { variant, from, to, quantity } => {
                fx.inv.transfer(variants[*variant], locations[*from], locations[*to], *quantity, STAFF, "").await.map(drop)
            }
            Op::SweepAll => fx.inv.sweep_expired_as_of(Utc::now() + chrono::Duration::days(2), 1000).await.map(|_| held.clear()),
        };
        if let Err(e) = &result {
            prop_assert!(
                matches!(e, Error::OutOfStock { .. } | Error::Invalid { .. } | Error::NotFound { .. }),
                "{op:?} failed unexpectedly: {e:?}"
            );
            prop_assert_eq!(fx.counts().await, before, "{:?} failed ({}) but wrote something", op, e);
        }

        // Invariants: every level within bounds; the ledger replays to it; reserved is
        // what the active reservations hold; each owner holds what the model says.
        for level in fx.inv.levels_by_variant_ids(&variants).await.unwrap().values().flatten() {
            prop_assert!(0 <= level.reserved && level.reserved <= level.on_hand, "{level:?} after {op:?}");
        }
        let report = fx.inv.verify().await.unwrap();
        prop_assert!(report.is_ok(), "after {:?}: {:#?}", op, report.discrepancies);
        for o in 0..OWNERS {
            let mut active: HashMap<i64, i64> = HashMap::new();
            for r in fx.inv.reservations_of(&owner(o)).await.unwrap() {
                if r.status == ReservationStatus::Active {
                    *active.entry(r.variant_id).or_default() += r.quantity;
                }
            }
            let expected = held.get(&o).cloned().unwrap_or_default();
            prop_assert_eq!(&active, &expected, "owner {} after {:?}", o, op);
        }
    }
    Ok(())
}

fn adjustment(variant_id: i64, location_id: i64, change: StockChange) -> Adjustment {
    Adjustment { variant_id, location_id, change, reason: MovementReason::Adjustment, expected_version: None, note: String::new() }
}
