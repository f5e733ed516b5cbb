//! Staff actions on orders (each naming the order's `expectedVersion`; moves the state
//! table does not allow are ILLEGAL_TRANSITION and change nothing) and coupons.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::order_types::{OrderPayload, order_payload};
use super::{actor_of, decode_order};
use crate::access::{allow, viewer};
use crate::error::{ApiError, UserError, failed, user_error, with_user_errors};
use crate::ids::{NodeType, decode_as, row_ids};
use crate::money::Money;
use stockade_domain::coupons::{CouponService, Discount, NewCoupon};
use stockade_domain::error::Error;
use stockade_domain::orders::OrderService;

#[derive(SimpleObject, Default)]
pub struct CouponPayload {
    pub coupon: Option<Coupon>,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(OrderPayload, CouponPayload);

/// A discount code.
pub struct Coupon(pub stockade_domain::coupons::Coupon);

#[Object]
impl Coupon {
    pub async fn id(&self) -> ID {
        NodeType::Coupon.id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Percent off (e.g. 15.5), for percentage coupons.
    async fn percent_off(&self) -> Option<f64> {
        match self.0.discount {
            Discount::Percentage(ppm) => Some(ppm as f64 / 10_000.0),
            Discount::Fixed(_) => None,
        }
    }
    /// Amount off, for fixed-amount coupons.
    async fn amount_off(&self, ctx: &Context<'_>) -> Option<Money> {
        let currency = *ctx.data_unchecked::<stockade_domain::money::Currency>();
        match self.0.discount {
            Discount::Fixed(amount) => Some(Money(stockade_domain::money::Money::new(amount, currency))),
            Discount::Percentage(_) => None,
        }
    }
    /// The smallest subtotal of eligible lines the coupon applies to.
    async fn min_order_value(&self, ctx: &Context<'_>) -> Money {
        let currency = *ctx.data_unchecked::<stockade_domain::money::Currency>();
        Money(stockade_domain::money::Money::new(self.0.min_order_value, currency))
    }
    async fn usage_limit(&self) -> Option<i32> {
        self.0.usage_limit
    }
    async fn per_customer_limit(&self) -> Option<i32> {
        self.0.per_customer_limit
    }
    async fn times_used(&self) -> i32 {
        self.0.times_used
    }
    async fn valid_from(&self) -> Option<DateTime<Utc>> {
        self.0.valid_from
    }
    async fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.valid_until
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn product_ids(&self) -> Vec<ID> {
        self.0.product_ids.iter().map(|id| NodeType::Product.id(*id)).collect()
    }
    async fn category_ids(&self) -> Vec<ID> {
        self.0.category_ids.iter().map(|id| NodeType::Category.id(*id)).collect()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// Exactly one of `percentOff` and `amountOff`.
#[derive(InputObject)]
pub struct CouponCreateInput {
    pub code: String,
    #[graphql(default)]
    pub description: String,
    /// Percent off the eligible lines, above 0 and at most 100 (e.g. 15 or 12.5).
    pub percent_off: Option<f64>,
    /// Minor units off the eligible lines (never more than they cost).
    pub amount_off: Option<i32>,
    /// The smallest order (minor units) the coupon applies to; 0: any.
    #[graphql(default)]
    pub min_order_value: i32,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Only these products (and/or categories, sub-categories included) are eligible.
    #[graphql(default)]
    pub product_ids: Vec<ID>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
}

fn orders<'a>(ctx: &'a Context<'_>) -> &'a OrderService {
    ctx.data_unchecked::<OrderService>()
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Marks a paid order as picked and packed (staff).
    #[graphql(guard = "allow(\"Mutation.orderFulfill\")")]
    async fn order_fulfill(&self, ctx: &Context<'_>, order_id: ID, expected_version: i32) -> Result<OrderPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => orders(ctx).fulfill(id, i64::from(expected_version), actor_of(viewer(ctx))).await,
            Err(e) => Err(e),
        };
        order_payload(ctx, known, result).await
    }

    /// Marks a fulfilled order as shipped, with its tracking number (staff).
    #[graphql(guard = "allow(\"Mutation.orderShip\")")]
    async fn order_ship(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        expected_version: i32,
        tracking_number: String,
        carrier: String,
    ) -> Result<OrderPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => orders(ctx).ship(id, i64::from(expected_version), &tracking_number, &carrier, actor_of(viewer(ctx))).await,
            Err(e) => Err(e),
        };
        order_payload(ctx, known, result).await
    }

    /// Marks a shipped order as delivered (staff).
    #[graphql(guard = "allow(\"Mutation.orderMarkDelivered\")")]
    async fn order_mark_delivered(&self, ctx: &Context<'_>, order_id: ID, expected_version: i32) -> Result<OrderPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => orders(ctx).mark_delivered(id, i64::from(expected_version), actor_of(viewer(ctx))).await,
            Err(e) => Err(e),
        };
        order_payload(ctx, known, result).await
    }

    /// Cancels an unpaid order (staff): its open payment is cancelled at the gateway
    /// first (GATEWAY_UNAVAILABLE changes nothing; a payment that already succeeded
    /// wins and the answer is ILLEGAL_TRANSITION), then its stock is released.
    #[graphql(guard = "allow(\"Mutation.orderCancel\")")]
    async fn order_cancel(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        expected_version: i32,
        #[graphql(default)] reason: String,
    ) -> Result<OrderPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => {
                ctx.data_unchecked::<stockade_domain::payments::PaymentService>()
                    .cancel_order(id, i64::from(expected_version), actor_of(viewer(ctx)), &reason)
                    .await
            }
            Err(e) => Err(e),
        };
        order_payload(ctx, known, result).await
    }

    /// Creates a coupon (staff).
    #[graphql(guard = "allow(\"Mutation.couponCreate\")")]
    async fn coupon_create(&self, ctx: &Context<'_>, input: CouponCreateInput) -> Result<CouponPayload> {
        let discount = match (input.percent_off, input.amount_off) {
            (Some(p), None) if p.is_finite() => Some(Discount::Percentage((p * 10_000.0).round() as i64)),
            (None, Some(a)) => Some(Discount::Fixed(i64::from(a))),
            (None, None) => None,
            _ => return failed(Error::invalid("percentOff", "give either percentOff or amountOff"), Some("input")),
        };
        let result = async {
            let product_ids = row_ids(&input.product_ids, NodeType::Product, "productIds")?;
            let category_ids = row_ids(&input.category_ids, NodeType::Category, "categoryIds")?;
            ctx.data_unchecked::<CouponService>()
                .create(NewCoupon {
                    code: input.code,
                    description: input.description,
                    discount,
                    min_order_value: i64::from(input.min_order_value),
                    usage_limit: input.usage_limit,
                    per_customer_limit: input.per_customer_limit,
                    valid_from: input.valid_from,
                    valid_until: input.valid_until,
                    product_ids,
                    category_ids,
                })
                .await
        }
        .await;
        match result {
            Ok(c) => Ok(CouponPayload { coupon: Some(Coupon(c)), user_errors: Vec::new() }),
            Err(e) => Ok(CouponPayload { coupon: None, user_errors: vec![user_error(e, Some("input"))?] }),
        }
    }

    /// Deactivates or reactivates a coupon (staff).
    #[graphql(guard = "allow(\"Mutation.couponSetActive\")")]
    async fn coupon_set_active(&self, ctx: &Context<'_>, id: ID, active: bool, expected_version: i32) -> Result<CouponPayload> {
        let result = match decode_as(&id, NodeType::Coupon, "id") {
            Ok(id) => ctx.data_unchecked::<CouponService>().set_active(id, active, i64::from(expected_version)).await,
            Err(ApiError(e)) => Err(e),
        };
        match result {
            Ok(c) => Ok(CouponPayload { coupon: Some(Coupon(c)), user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }
}
