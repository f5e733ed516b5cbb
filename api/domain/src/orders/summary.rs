//! Sales figures for staff: revenue, orders, units, average order value, the best
//! selling variants and the same by day, over paid orders (refunds excluded).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{DbBackend, FromQueryResult};

use super::service::OrderService;
use super::status::OrderStatus;
use crate::db::statement;
use crate::error::{Error, Result};
use crate::money::Money;

/// Orders that count as sales.
const SOLD: [OrderStatus; 4] = [OrderStatus::Paid, OrderStatus::Fulfilled, OrderStatus::Shipped, OrderStatus::Delivered];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopVariant {
    pub variant_id: i64,
    pub sku: String,
    pub product_name: String,
    pub variant_title: String,
    pub units: i64,
    pub revenue: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySales {
    pub day: NaiveDate,
    pub revenue: Money,
    pub orders: i64,
    pub units: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesSummary {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub revenue: Money,
    pub orders: i64,
    pub units: i64,
    /// Revenue per order, rounded down; zero without orders.
    pub average_order_value: Money,
    pub top_variants: Vec<TopVariant>,
    pub by_day: Vec<DaySales>,
}

#[derive(FromQueryResult)]
struct Totals {
    revenue: Option<i64>,
    orders: i64,
}

#[derive(FromQueryResult)]
struct Units {
    units: Option<i64>,
}

#[derive(FromQueryResult)]
struct TopRow {
    variant_id: i64,
    sku: String,
    product_name: String,
    variant_title: String,
    units: i64,
    revenue: i64,
}

#[derive(FromQueryResult)]
struct DayRow {
    day: String,
    revenue: i64,
    orders: i64,
}

#[derive(FromQueryResult)]
struct DayUnits {
    day: String,
    units: i64,
}

/// The UTC day of `orders.created_at` as `YYYY-MM-DD`.
fn day_expr(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        // Stored as RFC 3339 text in UTC.
        _ => "substr(o.created_at, 1, 10)",
    }
}

impl OrderService {
    /// Sales of orders created in `[from, to)`, at most 400 days.
    pub async fn sales_summary(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<SalesSummary> {
        if to <= from {
            return Err(Error::invalid("to", "`to` must be after `from`"));
        }
        if to - from > chrono::Duration::days(400) {
            return Err(Error::invalid("to", "at most 400 days at a time"));
        }
        let conn = self.db.conn();
        let backend = conn.get_database_backend();
        let sold = SOLD.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
        let window = || vec![from.into(), to.into()];
        let where_sold = format!("o.status IN ({sold}) AND o.created_at >= ? AND o.created_at < ?");

        let totals = Totals::find_by_statement(statement(
            backend,
            &format!("SELECT CAST(SUM(o.total) AS BIGINT) AS revenue, COUNT(*) AS orders FROM orders o WHERE {where_sold}"),
            window(),
        ))
        .one(conn)
        .await?;
        let (revenue, orders) = totals.map(|t| (t.revenue.unwrap_or(0), t.orders)).unwrap_or((0, 0));
        let units = Units::find_by_statement(statement(
            backend,
            &format!(
                "SELECT CAST(SUM(l.quantity) AS BIGINT) AS units FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE {where_sold}"
            ),
            window(),
        ))
        .one(conn)
        .await?
        .and_then(|u| u.units)
        .unwrap_or(0);
        let top = TopRow::find_by_statement(statement(
            backend,
            &format!(
                "SELECT l.variant_id AS variant_id, MIN(l.sku) AS sku, MIN(l.product_name) AS product_name, MIN(l.variant_title) AS variant_title, \
                 CAST(SUM(l.quantity) AS BIGINT) AS units, CAST(SUM(l.line_total) AS BIGINT) AS revenue FROM order_lines l JOIN orders o ON o.id = l.order_id \
                 WHERE {where_sold} GROUP BY l.variant_id ORDER BY units DESC, revenue DESC, variant_id LIMIT 10"
            ),
            window(),
        ))
        .all(conn)
        .await?;
        let day = day_expr(backend);
        let days = DayRow::find_by_statement(statement(
            backend,
            &format!("SELECT {day} AS day, CAST(SUM(o.total) AS BIGINT) AS revenue, COUNT(*) AS orders FROM orders o WHERE {where_sold} GROUP BY {day} ORDER BY day"),
            window(),
        ))
        .all(conn)
        .await?;
        let day_units = DayUnits::find_by_statement(statement(
            backend,
            &format!(
                "SELECT {day} AS day, CAST(SUM(l.quantity) AS BIGINT) AS units FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE {where_sold} GROUP BY {day}"
            ),
            window(),
        ))
        .all(conn)
        .await?;

        let money = |amount| Money::new(amount, self.currency);
        let mut by_day = Vec::with_capacity(days.len());
        for d in days {
            let date =
                NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").map_err(|e| Error::Internal(anyhow::anyhow!("sales day {}: {e}", d.day)))?;
            let units = day_units.iter().find(|u| u.day == d.day).map(|u| u.units).unwrap_or(0);
            by_day.push(DaySales { day: date, revenue: money(d.revenue), orders: d.orders, units });
        }
        Ok(SalesSummary {
            from,
            to,
            revenue: money(revenue),
            orders,
            units,
            average_order_value: money(if orders > 0 { revenue / orders } else { 0 }),
            top_variants: top
                .into_iter()
                .map(|t| TopVariant {
                    variant_id: t.variant_id,
                    sku: t.sku,
                    product_name: t.product_name,
                    variant_title: t.variant_title,
                    units: t.units,
                    revenue: money(t.revenue),
                })
                .collect(),
            by_day,
        })
    }
}
