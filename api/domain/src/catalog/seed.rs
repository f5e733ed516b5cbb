//! Writes the demo catalog and its stock. Idempotent: categories and products whose slug
//! already exists, stock locations whose code exists and stock levels that exist are left
//! alone, so `stockade seed` can be run again safely.

use std::collections::HashMap;

use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::demo::{self, CATEGORIES, PRODUCTS};
use crate::db::Database;
use crate::entity::{category, product, product_category, product_image, variant};
use crate::error::Result;
use crate::money::Currency;

/// What a seeding run wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub categories: usize,
    pub products: usize,
    pub variants: usize,
    pub stock_locations: usize,
    pub stock_levels: usize,
    pub skipped_products: usize,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} categories, {} products, {} variants, {} stock locations, {} stock levels added ({} products already present)",
            self.categories, self.products, self.variants, self.stock_locations, self.stock_levels, self.skipped_products
        )
    }
}

/// Seeds the demo catalog if the database has no products yet. Returns `None` when it
/// had some (nothing is written).
pub async fn seed_if_empty(db: &Database, currency: Currency) -> Result<Option<SeedReport>> {
    db.with_startup_lock(|| async {
        if product::Entity::find().count(db.conn()).await? > 0 {
            return Ok(None);
        }
        seed_demo_catalog(db, currency).await.map(Some).map_err(|e| match e {
            crate::error::Error::Db { source, .. } => source,
            other => sea_orm::DbErr::Custom(other.to_string()),
        })
    })
    .await
    .map_err(Into::into)
}

/// Inserts every demo category and product that is not there yet, in one transaction.
#[tracing::instrument(skip(db))]
pub async fn seed_demo_catalog(db: &Database, currency: Currency) -> Result<SeedReport> {
    let txn = db.begin_write().await?;
    let mut report = SeedReport::default();
    let created_base = Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).single().unwrap_or_else(Utc::now);

    let mut category_ids: HashMap<String, (i64, String)> = category::Entity::find()
        .select_only()
        .columns([category::Column::Slug, category::Column::Id, category::Column::Path])
        .into_tuple::<(String, i64, String)>()
        .all(&*txn)
        .await?
        .into_iter()
        .map(|(slug, id, path)| (slug, (id, path)))
        .collect();

    for (position, (slug, name, parent, description)) in CATEGORIES.iter().enumerate() {
        if category_ids.contains_key(*slug) {
            continue;
        }
        let parent = parent.and_then(|p| category_ids.get(p).cloned());
        let inserted = category::Entity::insert(category::ActiveModel {
            parent_id: Set(parent.as_ref().map(|(id, _)| *id)),
            slug: Set((*slug).to_owned()),
            name: Set((*name).to_owned()),
            description: Set((*description).to_owned()),
            position: Set(position as i32),
            // The real path needs the id; set it right after the insert.
            path: Set(String::new()),
            version: Set(1),
            created_at: Set(created_base),
            updated_at: Set(created_base),
            ..Default::default()
        })
        .exec(&*txn)
        .await?;
        let id = inserted.last_insert_id;
        let path = format!("{}{id}/", parent.map(|(_, p)| p).unwrap_or_else(|| "/".to_owned()));
        category::Entity::update_many()
            .col_expr(category::Column::Path, sea_orm::sea_query::Expr::val(path.clone()))
            .filter(category::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        category_ids.insert((*slug).to_owned(), (id, path));
        report.categories += 1;
    }

    let existing: std::collections::HashSet<String> =
        product::Entity::find().select_only().column(product::Column::Slug).into_tuple::<String>().all(&*txn).await?.into_iter().collect();

    for (index, demo) in PRODUCTS.iter().enumerate() {
        let slug = demo::slugify(demo.name);
        if existing.contains(&slug) {
            report.skipped_products += 1;
            continue;
        }
        let created_at = created_base + Duration::hours(index as i64 * 7);
        let sizes = demo.sizes.values();
        let prices: Vec<i64> = sizes.iter().map(|s| demo.price + demo.sizes.surcharge(s, demo.price)).collect();
        let product_id = product::Entity::insert(product::ActiveModel {
            slug: Set(slug.clone()),
            name: Set(demo.name.to_owned()),
            description: Set(demo.description.to_owned()),
            brand: Set(demo.brand.to_owned()),
            tags: Set(serde_json::json!(demo.tags)),
            status: Set(if demo.draft { "draft" } else { "active" }.to_owned()),
            currency: Set(currency.code().to_owned()),
            price_min: Set(prices.iter().copied().min().unwrap_or(demo.price)),
            price_max: Set(prices.iter().copied().max().unwrap_or(demo.price)),
            version: Set(1),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        })
        .exec(&*txn)
        .await?
        .last_insert_id;

        if let Some((category_id, _)) = category_ids.get(demo.category) {
            product_category::Entity::insert(product_category::ActiveModel {
                product_id: Set(product_id),
                category_id: Set(*category_id),
                position: Set(0),
            })
            .exec(&*txn)
            .await?;
        }

        let images = demo.colors.iter().enumerate().map(|(i, color)| product_image::ActiveModel {
            product_id: Set(product_id),
            url: Set(format!("/demo-images/{slug}--{}.svg", demo::slugify(color))),
            alt_text: Set(format!("{} in {color}", demo.name)),
            position: Set(i as i32),
            ..Default::default()
        });
        product_image::Entity::insert_many(images).exec(&*txn).await?;

        let mut variants = Vec::with_capacity(demo.colors.len() * sizes.len());
        for (ci, color) in demo.colors.iter().enumerate() {
            for (si, size) in sizes.iter().enumerate() {
                let price = prices[si];
                variants.push(variant::ActiveModel {
                    product_id: Set(product_id),
                    sku: Set(format!("{}-{:03}-{}-{}", brand_code(demo.brand), index + 1, demo::slugify(color).to_ascii_uppercase(), size)),
                    title: Set(format!("{color} / {size}")),
                    attributes: Set(serde_json::json!({ "color": color, "size": size })),
                    price_amount: Set(price),
                    compare_at_amount: Set(demo.was.map(|was| was + (price - demo.price))),
                    currency: Set(currency.code().to_owned()),
                    position: Set((ci * sizes.len() + si) as i32),
                    status: Set("active".to_owned()),
                    version: Set(1),
                    created_at: Set(created_at),
                    updated_at: Set(created_at),
                    ..Default::default()
                });
            }
        }
        report.variants += variants.len();
        variant::Entity::insert_many(variants).exec(&*txn).await?;
        report.products += 1;
    }

    // Demo stock for every demo variant not stocked yet, through restocks (ledger + events).
    let demo_slugs: Vec<String> = PRODUCTS.iter().map(|p| demo::slugify(p.name)).collect();
    let demo_product_ids: Vec<i64> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::Slug.is_in(demo_slugs))
        .into_tuple()
        .all(&*txn)
        .await?;
    let demo_variants: Vec<(i64, String)> = variant::Entity::find()
        .select_only()
        .columns([variant::Column::Id, variant::Column::Sku])
        .filter(variant::Column::ProductId.is_in(demo_product_ids))
        .into_tuple()
        .all(&*txn)
        .await?;
    let stock = crate::inventory::seed_demo_stock(&*txn, &demo_variants).await?;
    report.stock_locations = stock.locations;
    report.stock_levels = stock.levels;
    if report.products > 0 {
        super::search::vocabulary::rebuild(&*txn).await?;
    }

    txn.commit().await?;
    tracing::info!(%report, "demo catalog seeded");
    Ok(report)
}

/// Two-letter code of a brand for SKUs: initials of its first two words.
fn brand_code(brand: &str) -> String {
    let mut code: String = brand.split_whitespace().filter_map(|w| w.chars().find(char::is_ascii_alphabetic)).take(2).collect();
    if code.len() < 2 {
        code = brand.chars().filter(char::is_ascii_alphabetic).take(2).collect();
    }
    code.to_ascii_uppercase()
}
