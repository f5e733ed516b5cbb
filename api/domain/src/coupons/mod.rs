//! Coupons: a percentage or a fixed amount off, with a minimum order value, usage
//! limits overall and per customer, a validity window, and an optional restriction to
//! products or categories (sub-categories included).
//!
//! Redemptions are counted by one guarded statement inside the checkout transaction
//! (`times_used = times_used + 1 WHERE times_used < usage_limit`), backed by a CHECK, so
//! a limit of 100 is never exceeded however many checkouts race for the last use.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::db::{Database, OnUniqueViolation};
use crate::entity::{coupon, coupon_category, coupon_product, coupon_redemption};
use crate::error::{Error, Result};
use crate::pagination::{Page, PageRequest, encode_cursor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discount {
    /// Parts per million of the eligible subtotal (10% = 100_000).
    Percentage(i64),
    /// Minor units off the eligible subtotal (never more than it).
    Fixed(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coupon {
    pub id: i64,
    pub code: String,
    pub description: String,
    pub discount: Discount,
    pub min_order_value: i64,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub times_used: i32,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub active: bool,
    pub product_ids: Vec<i64>,
    pub category_ids: Vec<i64>,
    pub version: i32,
}

/// What a cart line contributes to a coupon decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EligibleLine {
    pub product_id: i64,
    /// Materialised paths of the product's categories (e.g. `/1/4/`).
    pub category_paths: Vec<String>,
    pub line_total: i64,
}

/// Why a coupon does not apply now; the message is for the buyer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponProblem {
    pub message: String,
}

#[derive(Clone, Debug, Default)]
pub struct NewCoupon {
    pub code: String,
    pub description: String,
    pub discount: Option<Discount>,
    pub min_order_value: i64,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub product_ids: Vec<i64>,
    pub category_ids: Vec<i64>,
}

/// A normalised coupon code: trimmed, upper case, letters, digits, '-' and '_'.
pub fn normalise_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::invalid("code", format!("'{}' is not a coupon code (letters, digits, '-', '_')", raw.trim())));
    }
    Ok(code)
}

impl Coupon {
    /// The discount on `lines` at `now`, or why the coupon does not apply. Does not
    /// look at usage counts (see [`redeem_in`]).
    pub fn evaluate(&self, lines: &[EligibleLine], category_paths: &[String], now: DateTime<Utc>) -> Result<i64, CouponProblem> {
        let problem = |message: String| Err(CouponProblem { message });
        if !self.active {
            return problem(format!("coupon {} is no longer valid", self.code));
        }
        if self.valid_from.is_some_and(|from| now < from) {
            return problem(format!("coupon {} is not valid yet", self.code));
        }
        if self.valid_until.is_some_and(|until| now >= until) {
            return problem(format!("coupon {} has expired", self.code));
        }
        if self.usage_limit.is_some_and(|limit| self.times_used >= limit) {
            return problem(format!("coupon {} has been used up", self.code));
        }
        let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
        if subtotal < self.min_order_value {
            return problem(format!("coupon {} needs an order of at least {} (minor units)", self.code, self.min_order_value));
        }
        let restricted = !self.product_ids.is_empty() || !category_paths.is_empty();
        let eligible: i64 = lines
            .iter()
            .filter(|l| {
                !restricted
                    || self.product_ids.contains(&l.product_id)
                    || l.category_paths.iter().any(|p| category_paths.iter().any(|c| p.starts_with(c.as_str())))
            })
            .map(|l| l.line_total)
            .sum();
        if eligible == 0 {
            return problem(format!("coupon {} does not apply to anything in the cart", self.code));
        }
        Ok(match self.discount {
            Discount::Percentage(ppm) => ((i128::from(eligible) * i128::from(ppm) + 500_000) / 1_000_000) as i64,
            Discount::Fixed(amount) => Ord::min(amount, eligible),
        })
    }
}

#[derive(Clone)]
pub struct CouponService {
    db: Database,
}

impl CouponService {
    pub fn new(db: Database) -> Self {
        CouponService { db }
    }

    pub async fn create(&self, input: NewCoupon) -> Result<Coupon> {
        let code = normalise_code(&input.code)?;
        let (kind, value) = match input.discount {
            Some(Discount::Percentage(ppm)) if (1..=1_000_000).contains(&ppm) => ("percentage", ppm),
            Some(Discount::Fixed(amount)) if amount > 0 => ("fixed", amount),
            Some(_) => return Err(Error::invalid("discount", "a percentage must be above 0 and at most 100; an amount above 0")),
            None => return Err(Error::invalid("discount", "give a percentage or an amount off")),
        };
        for (field, value) in [("usageLimit", input.usage_limit), ("perCustomerLimit", input.per_customer_limit)] {
            if value.is_some_and(|v| v < 1) {
                return Err(Error::invalid(field, format!("`{field}` must be at least 1 (omit it for no limit)")));
            }
        }
        if input.min_order_value < 0 {
            return Err(Error::invalid("minOrderValue", "`minOrderValue` cannot be negative"));
        }
        if let (Some(from), Some(until)) = (input.valid_from, input.valid_until)
            && from >= until
        {
            return Err(Error::invalid("validUntil", "`validUntil` must be after `validFrom`"));
        }
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let inserted = coupon::Entity::insert(coupon::ActiveModel {
            code: Set(code),
            description: Set(input.description.trim().chars().take(500).collect()),
            kind: Set(kind.into()),
            value: Set(value),
            min_order_value: Set(input.min_order_value),
            usage_limit: Set(input.usage_limit),
            per_customer_limit: Set(input.per_customer_limit),
            times_used: Set(0),
            valid_from: Set(input.valid_from),
            valid_until: Set(input.valid_until),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .on_unique_violation("coupons.code", || Error::invalid("code", "a coupon with this code already exists"))?;
        for product_id in dedup(&input.product_ids) {
            coupon_product::Entity::insert(coupon_product::ActiveModel { coupon_id: Set(inserted.id), product_id: Set(product_id) })
                .exec_without_returning(&*txn)
                .await
                .map_err(|_| Error::not_found("product", "productIds"))?;
        }
        for category_id in dedup(&input.category_ids) {
            coupon_category::Entity::insert(coupon_category::ActiveModel { coupon_id: Set(inserted.id), category_id: Set(category_id) })
                .exec_without_returning(&*txn)
                .await
                .map_err(|_| Error::not_found("category", "categoryIds"))?;
        }
        txn.commit().await?;
        self.by_id(inserted.id).await?.ok_or_else(|| Error::not_found("coupon", "code"))
    }

    /// Deactivates or reactivates a coupon, if `expected_version` is current.
    pub async fn set_active(&self, id: i64, active: bool, expected_version: i64) -> Result<Coupon> {
        let txn = self.db.begin_write().await?;
        let changed = coupon::Entity::update_many()
            .col_expr(coupon::Column::Active, Expr::val(active))
            .col_expr(coupon::Column::Version, Expr::col(coupon::Column::Version).add(1))
            .col_expr(coupon::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(coupon::Column::Id.eq(id))
            .filter(coupon::Column::Version.eq(expected_version))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        if !changed {
            let current = coupon::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("coupon", "id"))?;
            return Err(Error::stale("coupon", expected_version, i64::from(current.version)));
        }
        txn.commit().await?;
        self.by_id(id).await?.ok_or_else(|| Error::not_found("coupon", "id"))
    }

    pub async fn by_code(&self, code: &str) -> Result<Option<Coupon>> {
        let Ok(code) = normalise_code(code) else { return Ok(None) };
        let model = coupon::Entity::find().filter(coupon::Column::Code.eq(code)).one(self.db.conn()).await?;
        match model {
            Some(m) => Ok(Some(load(self.db.conn(), m).await?)),
            None => Ok(None),
        }
    }

    pub async fn by_id(&self, id: i64) -> Result<Option<Coupon>> {
        by_id_in(self.db.conn(), id).await
    }

    /// All coupons, newest first (staff).
    /// One page of coupons, newest first.
    pub async fn list(&self, page: &PageRequest) -> Result<Page<Coupon>> {
        let q = coupon::Entity::find();
        let models = crate::pagination::newest_first(q, coupon::Column::Id, page)?.all(self.db.conn()).await?;
        let mut items = Vec::with_capacity(models.len());
        for m in models {
            let coupon = load(self.db.conn(), m).await?;
            items.push((encode_cursor(&coupon.id), coupon));
        }
        Ok(Page::from_rows(page, items))
    }

    /// How many coupons there are.
    pub async fn count(&self) -> Result<u64> {
        Ok(coupon::Entity::find().count(self.db.conn()).await?)
    }
}

pub async fn by_id_in<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<Coupon>> {
    match coupon::Entity::find_by_id(id).one(conn).await? {
        Some(m) => Ok(Some(load(conn, m).await?)),
        None => Ok(None),
    }
}

/// Counts one use of `coupon` by `customer_key` for `order_id`, inside the checkout
/// transaction. Refuses (and the caller rolls back) when the coupon is used up or the
/// customer has used it as often as allowed.
pub async fn redeem_in<C: ConnectionTrait>(txn: &C, coupon: &Coupon, order_id: i64, customer_key: &str) -> Result<()> {
    let used_up = || Error::Invalid { field: Some("coupon".into()), message: format!("coupon {} has been used up", coupon.code) };
    // The guarded increment also takes the coupon's row lock, so the per-customer count
    // below sees every redemption committed before it.
    let counted = coupon::Entity::update_many()
        .col_expr(coupon::Column::TimesUsed, Expr::col(coupon::Column::TimesUsed).add(1))
        .filter(coupon::Column::Id.eq(coupon.id))
        .filter(coupon::Column::Active.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(coupon::Column::UsageLimit.is_null())
                .add(Expr::col(coupon::Column::TimesUsed).lt(Expr::col(coupon::Column::UsageLimit))),
        )
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if !counted {
        return Err(used_up());
    }
    if let Some(limit) = coupon.per_customer_limit {
        let used = coupon_redemption::Entity::find()
            .filter(coupon_redemption::Column::CouponId.eq(coupon.id))
            .filter(coupon_redemption::Column::CustomerKey.eq(customer_key))
            .count(txn)
            .await?;
        if used >= limit as u64 {
            return Err(Error::Invalid {
                field: Some("coupon".into()),
                message: format!("coupon {} can be used {limit} time(s) per customer", coupon.code),
            });
        }
    }
    coupon_redemption::Entity::insert(coupon_redemption::ActiveModel {
        coupon_id: Set(coupon.id),
        order_id: Set(order_id),
        customer_key: Set(customer_key.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn load<C: ConnectionTrait>(conn: &C, m: coupon::Model) -> Result<Coupon> {
    let product_ids = coupon_product::Entity::find()
        .filter(coupon_product::Column::CouponId.eq(m.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.product_id)
        .collect();
    let category_ids = coupon_category::Entity::find()
        .filter(coupon_category::Column::CouponId.eq(m.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.category_id)
        .collect();
    let discount = match m.kind.as_str() {
        "percentage" => Discount::Percentage(m.value),
        "fixed" => Discount::Fixed(m.value),
        other => return Err(Error::Internal(anyhow::anyhow!("unknown coupon kind in database: {other}"))),
    };
    Ok(Coupon {
        id: m.id,
        code: m.code,
        description: m.description,
        discount,
        min_order_value: m.min_order_value,
        usage_limit: m.usage_limit,
        per_customer_limit: m.per_customer_limit,
        times_used: m.times_used,
        valid_from: m.valid_from,
        valid_until: m.valid_until,
        active: m.active,
        product_ids,
        category_ids,
        version: m.version,
    })
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon(discount: Discount) -> Coupon {
        Coupon {
            id: 1,
            code: "SPRING".into(),
            description: String::new(),
            discount,
            min_order_value: 5_000,
            usage_limit: Some(10),
            per_customer_limit: None,
            times_used: 0,
            valid_from: None,
            valid_until: None,
            active: true,
            product_ids: vec![],
            category_ids: vec![],
            version: 1,
        }
    }

    fn line(product_id: i64, path: &str, total: i64) -> EligibleLine {
        EligibleLine { product_id, category_paths: vec![path.into()], line_total: total }
    }

    #[test]
    fn discounts_apply_to_eligible_lines_only() {
        let lines = [line(1, "/1/4/", 6_000), line(2, "/2/9/", 4_000)];
        let now = Utc::now();
        assert_eq!(coupon(Discount::Percentage(100_000)).evaluate(&lines, &[], now).unwrap(), 1_000);
        assert_eq!(coupon(Discount::Percentage(100_000)).evaluate(&lines, &["/1/".into()], now).unwrap(), 600, "men only");
        assert_eq!(coupon(Discount::Fixed(50_000)).evaluate(&lines, &[], now).unwrap(), 10_000, "capped at the subtotal");
        let products_only = Coupon { product_ids: vec![2], ..coupon(Discount::Fixed(500)) };
        assert_eq!(products_only.evaluate(&lines, &[], now).unwrap(), 500);
    }

    #[test]
    fn explains_why_a_coupon_does_not_apply() {
        let now = Utc::now();
        let lines = [line(1, "/1/", 6_000)];
        let cases = [
            (Coupon { active: false, ..coupon(Discount::Fixed(1)) }, "no longer valid"),
            (Coupon { valid_until: Some(now - chrono::Duration::hours(1)), ..coupon(Discount::Fixed(1)) }, "expired"),
            (Coupon { valid_from: Some(now + chrono::Duration::hours(1)), ..coupon(Discount::Fixed(1)) }, "not valid yet"),
            (Coupon { times_used: 10, ..coupon(Discount::Fixed(1)) }, "used up"),
            (Coupon { min_order_value: 10_000, ..coupon(Discount::Fixed(1)) }, "at least"),
            (Coupon { product_ids: vec![99], ..coupon(Discount::Fixed(1)) }, "does not apply"),
        ];
        for (c, needle) in cases {
            let err = c.evaluate(&lines, &[], now).unwrap_err();
            assert!(err.message.contains(needle), "{}", err.message);
        }
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(normalise_code(" spring-10 ").unwrap(), "SPRING-10");
        assert!(normalise_code("spring 10").is_err());
    }
}
