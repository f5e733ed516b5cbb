//! The staff inventory list: one row per variant with its stock summed over all
//! locations (or one), filtered by text and low stock, in SKU order with keyset pages.

use sea_orm::{FromQueryResult, Value};
use serde::{Deserialize, Serialize};

use super::levels::stmt;
use super::service::InventoryService;
use crate::error::{Error, Result};
use crate::pagination::{Direction, Page, PageRequest, decode_cursor, encode_cursor};

const MAX_SEARCH_CHARS: usize = 100;

/// What the inventory list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryFilter {
    /// Case-insensitive substring of the SKU or the product name.
    pub search: Option<String>,
    /// Count stock at this location only (variants not stocked there show zeros).
    pub location_id: Option<i64>,
    /// `Some(true)`: only variants at or below their low-stock threshold (sold out
    /// included); `Some(false)`: only the others.
    pub low_stock: Option<bool>,
    /// Only this variant (a single row, e.g. after a change to it).
    pub variant_id: Option<i64>,
}

/// One variant in the inventory list.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct InventoryItem {
    pub variant_id: i64,
    pub sku: String,
    pub variant_title: String,
    pub product_id: i64,
    pub product_name: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// The threshold in force (the variant's own or the default).
    pub low_stock_threshold: i64,
}

impl InventoryItem {
    pub fn is_low_stock(&self) -> bool {
        self.available <= self.low_stock_threshold
    }
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    sku: String,
    id: i64,
}

impl InventoryService {
    /// One page of the inventory list, in SKU order.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn inventory(&self, filter: &InventoryFilter, page: &PageRequest) -> Result<Page<InventoryItem>> {
        let (sql, values) = self.inventory_sql(filter, Some(page))?;
        let rows = InventoryItem::find_by_statement(stmt(self.db.backend(), &sql, values)).all(self.db.conn()).await?;
        let items = rows.into_iter().map(|item| (encode_cursor(&Cursor { sku: item.sku.clone(), id: item.variant_id }), item)).collect();
        Ok(Page::from_rows(page, items))
    }

    /// How many rows the inventory list has under `filter`, over all pages.
    pub async fn count_inventory(&self, filter: &InventoryFilter) -> Result<u64> {
        let (sql, values) = self.inventory_sql(filter, None)?;
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ({sql}) AS listed");
        let row = Count::find_by_statement(stmt(self.db.backend(), &sql, values)).one(self.db.conn()).await?;
        Ok(row.map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
    }

    /// The list's statement: one page of it, or (`page` None) every row, unordered.
    fn inventory_sql(&self, filter: &InventoryFilter, page: Option<&PageRequest>) -> Result<(String, Vec<Value>)> {
        let mut values: Vec<Value> = vec![self.settings.default_low_stock_threshold.into()];
        let param = |v: Value, values: &mut Vec<Value>| {
            values.push(v);
            format!("${}", values.len())
        };
        let location = match filter.location_id {
            Some(l) => format!(" AND sl.location_id = {}", param(l.into(), &mut values)),
            None => String::new(),
        };
        let mut conditions: Vec<String> = Vec::new();
        if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if search.chars().count() > MAX_SEARCH_CHARS {
                return Err(Error::invalid("search", format!("search text is too long (at most {MAX_SEARCH_CHARS} characters)")));
            }
            let p = param(like_pattern(search).into(), &mut values);
            conditions.push(format!("(LOWER(v.sku) LIKE {p} ESCAPE '\\' OR LOWER(p.name) LIKE {p} ESCAPE '\\')"));
        }
        if let Some(v) = filter.variant_id {
            conditions.push(format!("v.id = {}", param(v.into(), &mut values)));
        }
        let mut tail = String::new();
        if let Some(page) = page {
            let (cursor, cmp, order) = match page.direction {
                Direction::Forward => (page.after.as_deref().map(|c| (c, "after")), ">", "ASC"),
                Direction::Backward => (page.before.as_deref().map(|c| (c, "before")), "<", "DESC"),
            };
            if let Some((raw, field)) = cursor {
                let c: Cursor = decode_cursor(raw, field)?;
                let sku = param(c.sku.into(), &mut values);
                let id = param(c.id.into(), &mut values);
                conditions.push(format!("(v.sku {cmp} {sku} OR (v.sku = {sku} AND v.id {cmp} {id}))"));
            }
            let limit = param((page.size as i64 + 1).into(), &mut values);
            tail = format!(" ORDER BY v.sku {order}, v.id {order} LIMIT {limit}");
        }
        let available = "COALESCE(SUM(sl.on_hand - sl.reserved), 0)";
        let threshold = "COALESCE(v.low_stock_threshold, $1)";
        let having = match filter.low_stock {
            Some(true) => format!("HAVING {available} <= {threshold}"),
            Some(false) => format!("HAVING {available} > {threshold}"),
            None => String::new(),
        };
        let sql = format!(
            "SELECT v.id AS variant_id, v.sku AS sku, v.title AS variant_title, p.id AS product_id, p.name AS product_name, \
             CAST(COALESCE(SUM(sl.on_hand), 0) AS BIGINT) AS on_hand, CAST(COALESCE(SUM(sl.reserved), 0) AS BIGINT) AS reserved, \
             CAST({available} AS BIGINT) AS available, CAST({threshold} AS BIGINT) AS low_stock_threshold \
             FROM variants v JOIN products p ON p.id = v.product_id \
             LEFT JOIN stock_levels sl ON sl.variant_id = v.id{location} \
             {where_} \
             GROUP BY v.id, v.sku, v.title, p.id, p.name, v.low_stock_threshold {having}{tail}",
            where_ = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) },
        );
        Ok((sql, values))
    }
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

impl InventoryService {
    /// The inventory list's row of one variant, over all locations or at one.
    pub async fn inventory_item(&self, variant_id: i64, location_id: Option<i64>) -> Result<Option<InventoryItem>> {
        let filter = InventoryFilter { variant_id: Some(variant_id), location_id, ..Default::default() };
        let page = PageRequest::new(Some(1), None, None, None, 1)?;
        Ok(self.inventory(&filter, &page).await?.items.into_iter().next().map(|(_, item)| item))
    }
}

/// `%text%` for a case-insensitive LIKE, with LIKE's own wildcards escaped.
fn like_pattern(search: &str) -> String {
    let mut p = String::with_capacity(search.len() + 2);
    p.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_search_text_are_literal() {
        assert_eq!(super::like_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
