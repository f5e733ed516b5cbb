//! Demo stock: two locations and a deterministic quantity per SKU (mostly healthy, some
//! low, a few sold out), written through restocks so the ledger reconciles from the
//! first day. Idempotent: existing locations (by code) and stock levels are left alone.

use std::collections::HashSet;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::model::now;
use super::staff::restock_within;
use crate::actor::Actor;
use crate::entity::{stock_level, stock_location};
use crate::error::Result;

/// `(code, name, priority)` of the demo locations.
pub const DEMO_LOCATIONS: &[(&str, &str, i32)] = &[("main", "Main warehouse", 1), ("east", "East depot", 2)];

/// What demo stock seeding added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoStockReport {
    pub locations: usize,
    pub levels: usize,
}

/// Units of `sku` at each of [`DEMO_LOCATIONS`]: about 5% sold out everywhere, 15% low
/// (1 to 4, main warehouse only), the rest 10 to 60 in the main warehouse and, for two
/// in three, 5 to 30 in the east depot. Stable across runs and builds (FNV-1a).
pub fn demo_stock_for_sku(sku: &str) -> [i64; 2] {
    let h = sku.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let pick = |shift: u32, n: u64| ((h >> shift) % n) as i64;
    match h % 100 {
        0..5 => [0, 0],
        5..20 => [1 + pick(8, 4), 0],
        _ => [10 + pick(16, 51), if pick(32, 3) == 0 { 0 } else { 5 + pick(40, 26) }],
    }
}

/// Creates the demo locations that are missing and restocks every `(variant id, SKU)`
/// at every location where it has no stock level yet, inside the caller's transaction.
pub async fn seed_demo_stock<C: ConnectionTrait>(conn: &C, variants: &[(i64, String)]) -> Result<DemoStockReport> {
    let mut report = DemoStockReport::default();
    let now = now();
    let mut location_ids = Vec::with_capacity(DEMO_LOCATIONS.len());
    for (code, name, priority) in DEMO_LOCATIONS {
        let existing = stock_location::Entity::find().filter(stock_location::Column::Code.eq(*code)).one(conn).await?;
        let id = match existing {
            Some(l) => l.id,
            None => {
                report.locations += 1;
                stock_location::Entity::insert(stock_location::ActiveModel {
                    code: Set((*code).to_owned()),
                    name: Set((*name).to_owned()),
                    priority: Set(*priority),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec(conn)
                .await?
                .last_insert_id
            }
        };
        location_ids.push(id);
    }

    let stocked: HashSet<(i64, i64)> = stock_level::Entity::find()
        .select_only()
        .columns([stock_level::Column::VariantId, stock_level::Column::LocationId])
        .filter(stock_level::Column::LocationId.is_in(location_ids.iter().copied()))
        .into_tuple::<(i64, i64)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    for (variant_id, sku) in variants {
        for (location_id, quantity) in location_ids.iter().zip(demo_stock_for_sku(sku)) {
            if quantity > 0 && !stocked.contains(&(*variant_id, *location_id)) {
                restock_within(conn, *variant_id, *location_id, quantity, Actor::System, "demo stock", now).await?;
                report.levels += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_stock_is_deterministic_and_mixed() {
        assert_eq!(demo_stock_for_sku("HP-001-WHITE-M"), demo_stock_for_sku("HP-001-WHITE-M"));
        let all: Vec<[i64; 2]> = (0..1000).map(|i| demo_stock_for_sku(&format!("SKU-{i}"))).collect();
        let sold_out = all.iter().filter(|s| s[0] + s[1] == 0).count();
        let low = all.iter().filter(|s| (1..5).contains(&(s[0] + s[1]))).count();
        assert!((20..100).contains(&sold_out), "{sold_out}");
        assert!((100..250).contains(&low), "{low}");
    }
}
