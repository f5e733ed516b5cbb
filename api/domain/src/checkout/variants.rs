//! What checkout needs to know about the variants in a cart, read in one statement.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::db::statement;
use crate::error::Result;

/// A variant as checkout sees it: can it be bought, at what price, and what it is.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct VariantInfo {
    pub variant_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub variant_title: String,
    pub product_name: String,
    pub price: i64,
    pub variant_status: String,
    pub product_status: String,
    pub attributes: serde_json::Value,
}

impl VariantInfo {
    /// Shoppers can buy it: the variant and its product are both active.
    pub fn purchasable(&self) -> bool {
        self.variant_status == "active" && self.product_status == "active"
    }
}

/// The variants with `ids` (missing ones are absent from the map).
pub async fn load<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> Result<HashMap<i64, VariantInfo>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT v.id AS variant_id, v.product_id AS product_id, v.sku AS sku, v.title AS variant_title, p.name AS product_name, \
         v.price_amount AS price, v.status AS variant_status, p.status AS product_status, v.attributes AS attributes \
         FROM variants v JOIN products p ON p.id = v.product_id WHERE v.id IN ({marks})"
    );
    let stmt = statement(conn.get_database_backend(), &sql, ids.iter().map(|&id| id.into()).collect());
    let rows = VariantInfo::find_by_statement(stmt).all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.variant_id, r)).collect())
}

#[derive(FromQueryResult)]
struct PathRow {
    product_id: i64,
    path: String,
}

/// The category paths of each product (for coupon eligibility).
pub async fn category_paths<C: ConnectionTrait>(conn: &C, product_ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let marks = vec!["?"; product_ids.len()].join(", ");
    let sql = format!(
        "SELECT pc.product_id AS product_id, c.path AS path FROM product_categories pc JOIN categories c ON c.id = pc.category_id WHERE pc.product_id IN ({marks})"
    );
    let stmt = statement(conn.get_database_backend(), &sql, product_ids.iter().map(|&id| id.into()).collect());
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for row in PathRow::find_by_statement(stmt).all(conn).await? {
        out.entry(row.product_id).or_default().push(row.path);
    }
    Ok(out)
}

/// The paths of categories with `ids` (a coupon's restriction).
pub async fn paths_of_categories<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!("SELECT 0 AS product_id, path FROM categories WHERE id IN ({marks})");
    let stmt = statement(conn.get_database_backend(), &sql, ids.iter().map(|&id| id.into()).collect());
    Ok(PathRow::find_by_statement(stmt).all(conn).await?.into_iter().map(|r| r.path).collect())
}
