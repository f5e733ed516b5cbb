//! A generated catalog of any size (`stockade seed --products N`), for measuring
//! listing and search on realistic volumes. Deterministic: the same N gives the same
//! products, so benchmark runs compare.
//!
//! Names combine a style, a material and a garment ("Brushed Merino Cardigan"), and a
//! collection name made of syllables ("Kestavo"), so the vocabulary grows with the
//! catalog as a real one does (about 1.5 distinct words per product) instead of
//! staying at the hundred or so words of the combinations.

use chrono::{Duration, TimeZone, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait};

use super::search::vocabulary;
use crate::db::Database;
use crate::entity::{product, variant};
use crate::error::Result;
use crate::money::Currency;

const STYLES: &[&str] = &[
    "Classic",
    "Relaxed",
    "Slim",
    "Heavyweight",
    "Lightweight",
    "Vintage",
    "Organic",
    "Recycled",
    "Waterproof",
    "Quilted",
    "Brushed",
    "Washed",
    "Ribbed",
    "Cropped",
    "Oversized",
    "Tailored",
    "Padded",
    "Striped",
    "Chunky",
    "Everyday",
];
const MATERIALS: &[&str] = &[
    "Merino", "Cotton", "Linen", "Denim", "Chambray", "Cashmere", "Corduroy", "Fleece", "Flannel", "Wool", "Silk", "Canvas", "Jersey",
    "Twill", "Tweed", "Velvet", "Nylon", "Leather", "Suede", "Hemp",
];
const GARMENTS: &[&str] = &[
    "Sweater", "Cardigan", "Shirt", "T-Shirt", "Tee", "Polo", "Hoodie", "Jacket", "Coat", "Parka", "Vest", "Chinos", "Jeans", "Trousers",
    "Shorts", "Skirt", "Dress", "Blouse", "Scarf", "Beanie", "Trainers", "Sneakers", "Boots", "Socks",
];
const BRANDS: &[&str] = &["Marlow", "Northfield", "Harbour Lane", "Fenwick", "Loom Theory", "Pinecrest", "Aster Row", "Kittiwake"];
const SYLLABLES: &[&str] = &[
    "ka", "ves", "ta", "vo", "lin", "mar", "do", "ren", "sol", "bri", "an", "tor", "el", "quin", "ra", "mo", "del", "fen", "ish", "gar",
    "lu", "pet", "ro", "zan", "cor", "ny", "sta", "wel", "bo", "dra",
];
const PHRASES: &[&str] = &[
    "Cut for everyday wear and made to last.",
    "Garment-dyed for a soft, lived-in feel.",
    "A relaxed fit that layers easily.",
    "Finished with reinforced seams and horn buttons.",
    "Breathable, quick to dry and easy to care for.",
    "Machine washable at thirty degrees.",
];

/// SplitMix64: a tiny deterministic generator, enough for picking words.
struct Picker(u64);

impl Picker {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    fn collection(&mut self) -> String {
        let n = 2 + (self.next() % 2) as usize;
        let word: String = (0..n).map(|_| self.pick(SYLLABLES)).collect();
        let mut chars = word.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
    }
}

/// Adds `count` generated active products (one to three sized variants each) after
/// those already there, then recounts the search vocabulary. Returns how many were added.
#[tracing::instrument(skip(db))]
pub async fn seed_generated_products(db: &Database, currency: Currency, count: usize) -> Result<usize> {
    let txn = db.begin_write().await?;
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_else(Utc::now);
    let offset = product::Entity::find().count(&*txn).await? as usize;
    for i in offset..offset + count {
        let mut pick = Picker(i as u64);
        let (style, material, garment, brand) = (pick.pick(STYLES), pick.pick(MATERIALS), pick.pick(GARMENTS), pick.pick(BRANDS));
        let collection = pick.collection();
        let name = format!("{collection} {style} {material} {garment}");
        let description = format!(
            "The {} {} {} from the {collection} collection. {} {}",
            style.to_lowercase(),
            material.to_lowercase(),
            garment.to_lowercase(),
            pick.pick(PHRASES),
            pick.pick(PHRASES)
        );
        let price = 1_500 + (pick.next() % 200) as i64 * 100;
        let created_at = base + Duration::minutes(i as i64);
        let product_id = product::Entity::insert(product::ActiveModel {
            slug: Set(format!("generated-{i}")),
            name: Set(name),
            description: Set(description),
            brand: Set(brand.to_owned()),
            tags: Set(serde_json::json!([material.to_lowercase(), garment.to_lowercase()])),
            status: Set("active".to_owned()),
            currency: Set(currency.code().to_owned()),
            price_min: Set(price),
            price_max: Set(price),
            version: Set(1),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        })
        .exec(&*txn)
        .await?
        .last_insert_id;
        let sizes = &["S", "M", "L"][..1 + (pick.next() % 3) as usize];
        let variants = sizes.iter().enumerate().map(|(position, size)| variant::ActiveModel {
            product_id: Set(product_id),
            sku: Set(format!("GEN-{i}-{size}")),
            title: Set((*size).to_owned()),
            attributes: Set(serde_json::json!({ "size": size })),
            price_amount: Set(price),
            compare_at_amount: Set(None),
            currency: Set(currency.code().to_owned()),
            position: Set(position as i32),
            status: Set("active".to_owned()),
            version: Set(1),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        });
        variant::Entity::insert_many(variants).exec(&*txn).await?;
    }
    let words = vocabulary::rebuild(&*txn).await?;
    txn.commit().await?;
    if db.is_postgres() {
        // What autovacuum would do a while after a bulk load, now: merge the GIN
        // index's pending entries and give the planner statistics, so the first
        // measurements see the catalog as it will be in use.
        db.conn().execute_unprepared("VACUUM ANALYZE products, variants, search_words").await?;
    }
    tracing::info!(count, words, "generated products added");
    Ok(count)
}
