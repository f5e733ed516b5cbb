//! Flash-sale benchmark of the inventory service, on Postgres (see `run.sh`).
//!
//! Creates a stock location and `SKUS + 1` variants (one hot SKU), restocks them, then:
//! (a) `CLIENTS` tasks reserve 1 unit of the hot SKU each, again and again, for
//!     `DURATION_SECS`, combined per SKU (up to `BATCH` per shared transaction,
//!     default as configured) and with batches of one; (b) the same spread over
//!     `SKUS` SKUs. All through `InventoryService::reserve`; every answer comes after
//!     its durable commit.
//! Afterwards it checks every touched stock level against the successful reservations
//! (the oversold count must be 0) and replays the ledger (`verify`).
//!
//! Prints one `RESULT <phase> <reservations/s> <p50 ms> <p99 ms> <oversold> <errors>`
//! line per phase and `PGBENCH_*` lines naming rows for the pgbench comparison.

mod load;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, EntityTrait};
use stockade::config::{Config, Env};
use stockade_domain::actor::Actor;
use stockade_domain::entity::{product, variant};
use stockade_domain::inventory::{CombineLimits, InventoryService, InventorySettings};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Units stocked per SKU: more than a run can sell, so nothing sells out.
const HOT_STOCK: i64 = 1_000_000;
const SPREAD_STOCK: i64 = 10_000;

fn env_number(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v} is not a number")),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL (a Postgres database to fill) is required")?;
    let clients = env_number("CLIENTS", 64)?;
    let duration = Duration::from_secs(env_number("DURATION_SECS", 10)? as u64);
    let skus = env_number("SKUS", 1000)?;
    // A server's pool, not a connection per client: Postgres allows 100 connections by
    // default, and pgbench's own clients need theirs too.
    let max_connections = env_number("POOL", clients.min(64))?.to_string();
    let env = Env::from_pairs(&[
        ("DATABASE_URL", url.as_str()),
        ("DATABASE_MAX_CONNECTIONS", max_connections.as_str()),
        ("SEED_DEMO", "false"),
        ("LOG_FORMAT", "pretty"),
    ]);
    let config = Config::read(&env)?;
    if !matches!(config.database.target, stockade_domain::db::DatabaseTarget::Postgres { .. }) {
        bail!("the flash-sale benchmark runs on Postgres");
    }
    let db = stockade::startup::open_database(&config, None).await?;
    let defaults = InventorySettings::default().combine;
    let max_batch = env_number("BATCH", defaults.max_batch)?;
    let limits = CombineLimits { max_batch, max_queue: clients.max(defaults.max_queue) };
    let inv = InventoryService::new(db.clone(), InventorySettings { combine: limits, ..Default::default() });
    // For comparison: one transaction per reservation (still one at a time per SKU).
    let single =
        InventoryService::new(db.clone(), InventorySettings { combine: CombineLimits { max_batch: 1, ..limits }, ..Default::default() });

    // Setup: one location, a hot SKU and `skus` others, all stocked.
    let location = inv.create_location("bench", "Bench warehouse", 1).await?.id;
    let ids = create_variants(&db, skus + 1).await?;
    let (hot, spread) = (ids[0], ids[1..].to_vec());
    inv.restock(hot, location, HOT_STOCK, Actor::System, "bench").await?;
    for &v in &spread {
        inv.restock(v, location, SPREAD_STOCK, Actor::System, "bench").await?;
    }
    println!(
        "setup: 1 hot SKU ({HOT_STOCK} units) and {skus} SKUs ({SPREAD_STOCK} units each), {clients} clients, {duration:?} per phase, \
         at most {max_batch} reservations per shared transaction (RESERVE_BATCH_MAX)"
    );

    // A short warm-up (connections, statement caches) that is not measured.
    load::run(&inv, clients, Duration::from_secs(1), Arc::new(vec![hot]), "warmup").await;
    let mut sold_before: HashMap<i64, i64> = HashMap::from([(hot, inv.level(hot, location).await?.reserved)]);

    let mut oversold_total = 0;
    let phases = [
        ("hot", &inv, vec![hot], HOT_STOCK),
        ("hot-single", &single, vec![hot], HOT_STOCK),
        ("spread", &inv, spread.clone(), SPREAD_STOCK),
    ];
    for (phase, service, variants, stock) in phases {
        let outcome = load::run(service, clients, duration, Arc::new(variants.clone()), phase).await;
        // Every successful reservation holds exactly one unit; nothing beyond the stock.
        let levels = inv.levels_by_variant_ids(&variants).await?;
        let mut oversold = 0i64;
        let mut mismatched = 0;
        for &v in &variants {
            let before = sold_before.entry(v).or_default();
            *before += outcome.per_variant.get(&v).copied().unwrap_or(0);
            let sold = *before;
            let level = levels.get(&v).and_then(|l| l.first()).context("stock level missing")?;
            oversold += (sold - stock).max(0) + (level.reserved - level.on_hand).max(0);
            if level.reserved != sold || level.on_hand != stock {
                mismatched += 1;
            }
        }
        oversold_total += oversold + mismatched;
        println!(
            "{phase:>11}: {:8.0} reservations/s  p50 {:6.2} ms  p99 {:6.2} ms  ({} reserved, {} out of stock, {} errors{})  \
             oversold {oversold}, levels not matching the reservations {mismatched}  \
             machine CPU busy {:.0}%, bench process {:.0} us CPU/reservation",
            outcome.per_second(),
            outcome.percentile_ms(0.5),
            outcome.percentile_ms(0.99),
            outcome.reserved,
            outcome.out_of_stock,
            outcome.errors,
            outcome.first_error.as_deref().map(|e| format!(", first: {e}")).unwrap_or_default(),
            outcome.machine_busy * 100.0,
            outcome.own_cpu_secs * 1e6 / outcome.reserved.max(1) as f64,
        );
        println!(
            "RESULT {phase} {:.1} {:.3} {:.3} {oversold} {}",
            outcome.per_second(),
            outcome.percentile_ms(0.5),
            outcome.percentile_ms(0.99),
            outcome.errors
        );
    }

    let report = inv.verify().await?;
    println!("ledger: {report}");
    for (name, v) in [("HOT", hot), ("FIRST", spread[0])] {
        let level_id = stock_level_id(&db, v, location).await?;
        println!("PGBENCH_{name}_VARIANT={v} PGBENCH_{name}_LEVEL={level_id}");
    }
    println!("PGBENCH_LOCATION={location} PGBENCH_SKUS={skus}");
    db.close().await;
    if !report.is_ok() || oversold_total != 0 {
        bail!("inventory invariants broken: {report}, oversold/mismatched {oversold_total}");
    }
    Ok(())
}

/// A product with `n` variants (ids in insertion order, contiguous).
async fn create_variants(db: &stockade_domain::db::Database, n: usize) -> anyhow::Result<Vec<i64>> {
    let now = Utc::now();
    let product_id = product::Entity::insert(product::ActiveModel {
        slug: Set("flash-sale-sneaker".into()),
        name: Set("Flash Sale Sneaker".into()),
        description: Set(String::new()),
        brand: Set("Bench".into()),
        tags: Set(serde_json::json!([])),
        status: Set("active".into()),
        currency: Set("USD".into()),
        price_min: Set(9900),
        price_max: Set(9900),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db.conn())
    .await?
    .last_insert_id;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = variant::Entity::insert(variant::ActiveModel {
            product_id: Set(product_id),
            sku: Set(if i == 0 { "FLASH-HOT".to_owned() } else { format!("FLASH-{i:04}") }),
            title: Set(format!("Size {i}")),
            attributes: Set(serde_json::json!({})),
            price_amount: Set(9900),
            compare_at_amount: Set(None),
            currency: Set("USD".into()),
            position: Set(i as i32),
            status: Set("active".into()),
            version: Set(1),
            low_stock_threshold: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db.conn())
        .await?
        .last_insert_id;
        ids.push(id);
    }
    Ok(ids)
}

async fn stock_level_id(db: &stockade_domain::db::Database, variant_id: i64, location_id: i64) -> anyhow::Result<i64> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    use stockade_domain::entity::stock_level;
    stock_level::Entity::find()
        .select_only()
        .column(stock_level::Column::Id)
        .filter(stock_level::Column::VariantId.eq(variant_id))
        .filter(stock_level::Column::LocationId.eq(location_id))
        .into_tuple::<i64>()
        .one(db.conn())
        .await?
        .context("stock level missing")
}
