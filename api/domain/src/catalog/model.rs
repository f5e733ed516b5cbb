//! Catalog domain types, converted from storage rows once at the service boundary.

use chrono::{DateTime, Utc};

use crate::db::column;
use crate::entity::{category, product, product_image, variant};
use crate::error::{Error, Result};
use crate::money::{Currency, Money};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProductStatus {
    Active,
    Draft,
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Draft => "draft",
            ProductStatus::Archived => "archived",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(ProductStatus::Active),
            "draft" => Ok(ProductStatus::Draft),
            "archived" => Ok(ProductStatus::Archived),
            other => Err(Error::Internal(anyhow::anyhow!("unknown product status in database: {other}"))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VariantStatus {
    Active,
    Archived,
}

impl VariantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VariantStatus::Active => "active",
            VariantStatus::Archived => "archived",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(VariantStatus::Active),
            "archived" => Ok(VariantStatus::Archived),
            other => Err(Error::Internal(anyhow::anyhow!("unknown variant status in database: {other}"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub brand: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    /// Lowest and highest price among the product's active variants.
    pub price_min: Money,
    pub price_max: Money,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<product::Model> for Product {
    type Error = Error;
    fn try_from(m: product::Model) -> Result<Self> {
        let currency = parse_currency(&m.currency)?;
        let tags = serde_json::from_value(m.tags).map_err(|e| Error::Internal(anyhow::anyhow!("product {} tags: {e}", m.id)))?;
        Ok(Product {
            id: m.id,
            slug: m.slug,
            name: m.name,
            description: m.description,
            brand: m.brand,
            tags,
            status: ProductStatus::parse(&m.status)?,
            price_min: Money::new(m.price_min, currency),
            price_max: Money::new(m.price_max, currency),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// One attribute of a variant, such as `color = Navy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub id: i64,
    pub product_id: i64,
    pub sku: String,
    pub title: String,
    /// In display order: color, size, then the rest by name.
    pub attributes: Vec<Attribute>,
    pub price: Money,
    pub compare_at_price: Option<Money>,
    pub position: i32,
    pub status: VariantStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<variant::Model> for Variant {
    type Error = Error;
    fn try_from(m: variant::Model) -> Result<Self> {
        let currency = parse_currency(&m.currency)?;
        let serde_json::Value::Object(map) = m.attributes else {
            return Err(Error::Internal(anyhow::anyhow!("variant {} attributes are not an object", m.id)));
        };
        Ok(Variant {
            id: m.id,
            product_id: m.product_id,
            sku: m.sku,
            title: m.title,
            attributes: attributes_in_order(map),
            price: Money::new(m.price_amount, currency),
            compare_at_price: m.compare_at_amount.map(|a| Money::new(a, currency)),
            position: m.position,
            status: VariantStatus::parse(&m.status)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A variant's attributes object as pairs, values as text, in display order.
fn attributes_in_order(pairs: impl IntoIterator<Item = (String, serde_json::Value)>) -> Vec<Attribute> {
    let mut attributes: Vec<Attribute> = pairs
        .into_iter()
        .map(|(name, value)| Attribute {
            value: match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            },
            name,
        })
        .collect();
    attributes.sort_by(|a, b| attribute_rank(&a.name).cmp(&attribute_rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
    attributes
}

/// The columns of `variants` that [`VariantRow`] decodes, in its order.
pub(crate) const VARIANT_COLUMNS: [variant::Column; 13] = [
    variant::Column::Id,
    variant::Column::ProductId,
    variant::Column::Sku,
    variant::Column::Title,
    variant::Column::Attributes,
    variant::Column::PriceAmount,
    variant::Column::CompareAtAmount,
    variant::Column::Currency,
    variant::Column::Position,
    variant::Column::Status,
    variant::Column::Version,
    variant::Column::CreatedAt,
    variant::Column::UpdatedAt,
];

/// A variant decoded straight from a row of [`VARIANT_COLUMNS`], by position: catalog
/// reads decode hundreds per request, and the entity model's generic decoding (columns
/// by name, an error formatted per NULL, the attributes as a JSON tree first) cost more
/// than the statement.
pub(crate) struct VariantRow(pub Variant);

impl sea_orm::FromQueryResult for VariantRow {
    fn from_query_result(row: &sea_orm::QueryResult, _: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        let id: i64 = column(row, 0)?;
        let bad = |what: &str, e: Error| sea_orm::DbErr::Type(format!("variant {id} {what}: {e}"));
        let currency: String = column(row, 7)?;
        let currency = parse_currency(&currency).map_err(|e| bad("currency", e))?;
        let sqlx::types::Json(AttributePairs(pairs)) = column(row, 4)?;
        let status: String = column(row, 9)?;
        Ok(VariantRow(Variant {
            id,
            product_id: column(row, 1)?,
            sku: column(row, 2)?,
            title: column(row, 3)?,
            attributes: attributes_in_order(pairs),
            price: Money::new(column(row, 5)?, currency),
            compare_at_price: column::<Option<i64>>(row, 6)?.map(|a| Money::new(a, currency)),
            position: column(row, 8)?,
            status: VariantStatus::parse(&status).map_err(|e| bad("status", e))?,
            version: column(row, 10)?,
            created_at: column(row, 11)?,
            updated_at: column(row, 12)?,
        }))
    }
}

/// A JSON object read as its pairs, without building a map of it first.
struct AttributePairs(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for AttributePairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = AttributePairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of attribute names to values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<AttributePairs, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(2));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(AttributePairs(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

/// Display order of attribute names: the ones shoppers choose by first.
fn attribute_rank(name: &str) -> u8 {
    match name {
        "color" => 0,
        "size" => 1,
        _ => 2,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    /// Ids from the root down to the parent (empty for a root).
    pub ancestor_ids: Vec<i64>,
    pub version: i32,
}

impl From<category::Model> for Category {
    fn from(m: category::Model) -> Self {
        let mut ids: Vec<i64> = m.path.split('/').filter_map(|s| s.parse().ok()).collect();
        ids.retain(|id| *id != m.id);
        Category {
            id: m.id,
            parent_id: m.parent_id,
            slug: m.slug,
            name: m.name,
            description: m.description,
            position: m.position,
            ancestor_ids: ids,
            version: m.version,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub id: i64,
    pub product_id: i64,
    /// Absolute (`https://...`) or relative to the server (`/demo-images/...`).
    pub url: String,
    pub alt_text: String,
    pub position: i32,
}

impl From<product_image::Model> for Image {
    fn from(m: product_image::Model) -> Self {
        Image { id: m.id, product_id: m.product_id, url: m.url, alt_text: m.alt_text, position: m.position }
    }
}

fn parse_currency(code: &str) -> Result<Currency> {
    code.parse().map_err(|e| Error::Internal(anyhow::anyhow!("currency in database: {e}")))
}

/// Apparel sizes in the order a shopper expects; other values sort after, by name.
pub fn size_rank(value: &str) -> (u32, String) {
    const LETTERS: [&str; 9] = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"];
    if let Some(i) = LETTERS.iter().position(|s| s.eq_ignore_ascii_case(value)) {
        return (i as u32, String::new());
    }
    // Kids ages ("4Y") and waist sizes ("32") sort numerically.
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u32>() {
        Ok(n) => (100 + n, value.to_owned()),
        Err(_) => (10_000, value.to_owned()),
    }
}
