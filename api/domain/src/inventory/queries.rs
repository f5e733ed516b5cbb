//! Inventory reads for the API layer. Methods that load by id take a batch and answer
//! with one statement, so DataLoaders avoid N+1 queries.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::levels::{placeholders, stmt};
use super::limits::{self, MAX_LOW_STOCK_THRESHOLD};
use super::model::{Movement, StockLevel, StockLocation};
use super::service::{InventoryService, ensure_variant};
use crate::db::column;
use crate::entity::{stock_level, stock_location, stock_movement, variant};
use crate::error::{Error, Result};
use crate::pagination::{Direction, Page, PageRequest, decode_cursor, encode_cursor};

/// A variant's low-stock threshold: its own, or the configured default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowStockThreshold {
    pub value: i64,
    /// True when the variant has none of its own and the default applies.
    pub is_default: bool,
}

/// A variant's available units: `(variant_id, available)`, decoded by position (one
/// row per variant of a listing).
struct VariantAvailable {
    variant_id: i64,
    available: i64,
}

impl FromQueryResult for VariantAvailable {
    fn from_query_result(row: &sea_orm::QueryResult, _: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(VariantAvailable { variant_id: column(row, 0)?, available: column(row, 1)? })
    }
}

impl InventoryService {
    /// All stock locations, best (lowest priority number) first.
    pub async fn locations(&self) -> Result<Vec<StockLocation>> {
        let models = stock_location::Entity::find()
            .order_by_asc(stock_location::Column::Priority)
            .order_by_asc(stock_location::Column::Id)
            .all(self.db.conn())
            .await?;
        Ok(models.into_iter().map(StockLocation::from).collect())
    }

    pub async fn locations_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, StockLocation>> {
        let models =
            stock_location::Entity::find().filter(stock_location::Column::Id.is_in(ids.iter().copied())).all(self.db.conn()).await?;
        Ok(models.into_iter().map(|m| (m.id, StockLocation::from(m))).collect())
    }

    /// Units available to customers (on hand minus reserved, all locations) per variant.
    /// Every requested id is in the answer; unknown or never-stocked variants have 0.
    pub async fn available_by_variant_ids(&self, variant_ids: &[i64]) -> Result<HashMap<i64, i64>> {
        self.available_by_variant_ids_in(self.db.conn(), variant_ids).await
    }

    /// [`available_by_variant_ids`](Self::available_by_variant_ids) read on `conn` (a
    /// transaction sees its own holds, and those of a batch it shares).
    pub async fn available_by_variant_ids_in<C: ConnectionTrait>(&self, conn: &C, variant_ids: &[i64]) -> Result<HashMap<i64, i64>> {
        let mut out: HashMap<i64, i64> = variant_ids.iter().map(|&id| (id, 0)).collect();
        if variant_ids.is_empty() {
            return Ok(out);
        }
        // Plain SQL: building the `IN` list through the query builder cost more than
        // decoding the answer (a listing asks for hundreds of variants).
        let sql = format!(
            "SELECT variant_id, CAST(SUM(on_hand - reserved) AS BIGINT) AS available FROM stock_levels \
             WHERE variant_id IN ({}) GROUP BY variant_id",
            placeholders(1, variant_ids.len())
        );
        let statement = stmt(conn.get_database_backend(), &sql, variant_ids.iter().map(|&v| v.into()));
        for row in VariantAvailable::find_by_statement(statement).all(conn).await? {
            out.insert(row.variant_id, row.available);
        }
        Ok(out)
    }

    /// Stock levels of each variant, best location first. Variants never stocked anywhere
    /// are missing from the map.
    pub async fn levels_by_variant_ids(&self, variant_ids: &[i64]) -> Result<HashMap<i64, Vec<StockLevel>>> {
        if variant_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT sl.id, sl.variant_id, sl.location_id, sl.on_hand, sl.reserved, sl.version, sl.updated_at \
             FROM stock_levels sl JOIN stock_locations l ON l.id = sl.location_id \
             WHERE sl.variant_id IN ({}) ORDER BY sl.variant_id, l.priority, sl.location_id",
            placeholders(1, variant_ids.len())
        );
        let statement = stmt(self.db.backend(), &sql, variant_ids.iter().map(|&v| v.into()));
        let rows = stock_level::Model::find_by_statement(statement).all(self.db.conn()).await?;
        let mut out: HashMap<i64, Vec<StockLevel>> = HashMap::new();
        for m in rows {
            out.entry(m.variant_id).or_default().push(StockLevel::from(m));
        }
        Ok(out)
    }

    /// The level of one variant at one location ([`StockLevel::empty`] if never stocked).
    pub async fn level(&self, variant_id: i64, location_id: i64) -> Result<StockLevel> {
        let model = stock_level::Entity::find()
            .filter(stock_level::Column::VariantId.eq(variant_id))
            .filter(stock_level::Column::LocationId.eq(location_id))
            .one(self.db.conn())
            .await?;
        Ok(model.map(StockLevel::from).unwrap_or_else(|| StockLevel::empty(variant_id, location_id)))
    }

    /// The low-stock threshold in force for each variant (unknown ids are missing).
    pub async fn low_stock_thresholds_by_variant_ids(&self, variant_ids: &[i64]) -> Result<HashMap<i64, LowStockThreshold>> {
        let rows: Vec<(i64, Option<i32>)> = variant::Entity::find()
            .select_only()
            .columns([variant::Column::Id, variant::Column::LowStockThreshold])
            .filter(variant::Column::Id.is_in(variant_ids.iter().copied()))
            .into_tuple()
            .all(self.db.conn())
            .await?;
        Ok(rows.into_iter().map(|(id, own)| (id, self.threshold(own))).collect())
    }

    pub(super) fn threshold(&self, own: Option<i32>) -> LowStockThreshold {
        match own {
            Some(v) => LowStockThreshold { value: i64::from(v), is_default: false },
            None => LowStockThreshold { value: self.settings.default_low_stock_threshold, is_default: true },
        }
    }

    /// Sets a variant's low-stock threshold; `None` goes back to the default. Returns
    /// the threshold now in force. A setting, not stock: no ledger row.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn set_low_stock_threshold(&self, variant_id: i64, threshold: Option<i32>) -> Result<LowStockThreshold> {
        limits::id("variantId", variant_id)?;
        if let Some(t) = threshold
            && !(0..=MAX_LOW_STOCK_THRESHOLD).contains(&t)
        {
            return Err(Error::invalid("threshold", format!("`threshold` must be between 0 and {MAX_LOW_STOCK_THRESHOLD} (got {t})")));
        }
        let txn = self.db.begin_write().await?;
        ensure_variant(&*txn, variant_id).await?;
        variant::Entity::update_many()
            .col_expr(variant::Column::LowStockThreshold, Expr::val(threshold))
            .filter(variant::Column::Id.eq(variant_id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        Ok(self.threshold(threshold))
    }

    /// The ledger of a variant (at one location, or all), newest first.
    /// One ledger row by id.
    pub async fn movement(&self, id: i64) -> Result<Option<Movement>> {
        stock_movement::Entity::find_by_id(id).one(self.db.conn()).await?.map(Movement::try_from).transpose()
    }

    pub async fn movements(&self, variant_id: i64, location_id: Option<i64>, page: &PageRequest) -> Result<Page<Movement>> {
        let mut q = movements_of(variant_id, location_id);
        if let Some(after) = &page.after {
            q = q.filter(stock_movement::Column::Id.lt(decode_cursor::<i64>(after, "after")?));
        }
        if let Some(before) = &page.before {
            q = q.filter(stock_movement::Column::Id.gt(decode_cursor::<i64>(before, "before")?));
        }
        q = match page.direction {
            Direction::Forward => q.order_by_desc(stock_movement::Column::Id),
            Direction::Backward => q.order_by_asc(stock_movement::Column::Id),
        };
        let models = q.limit(page.size as u64 + 1).all(self.db.conn()).await?;
        let items = models.into_iter().map(|m| Movement::try_from(m).map(|mv| (encode_cursor(&mv.id), mv))).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(page, items))
    }

    /// How many ledger rows the variant has (at one location, or all).
    pub async fn count_movements(&self, variant_id: i64, location_id: Option<i64>) -> Result<u64> {
        Ok(movements_of(variant_id, location_id).count(self.db.conn()).await?)
    }
}

/// The ledger rows of a variant (at one location, or all), unordered and unpaged.
fn movements_of(variant_id: i64, location_id: Option<i64>) -> sea_orm::Select<stock_movement::Entity> {
    let q = stock_movement::Entity::find().filter(stock_movement::Column::VariantId.eq(variant_id));
    match location_id {
        Some(l) => q.filter(stock_movement::Column::LocationId.eq(l)),
        None => q,
    }
}
