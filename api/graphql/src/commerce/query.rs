//! Reading carts and orders (buyers their own, staff any), coupons and sales figures.

use crate::connection::{Counted, CountedConnection, counted, page_request};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::cart_types::Cart;
use super::order_types::{Order, OrderStatus};
use super::{cart_access, order_mutation::Coupon};
use crate::access::{allow, viewer};
use crate::error::{ApiError, ResultExt};
use crate::ids::{NodeType, decode_as};
use crate::int::int;
use crate::money::Money;
use stockade_domain::error::Error;
use stockade_domain::orders::OrderFilter;

#[derive(InputObject, Default)]
pub struct OrdersFilter {
    pub statuses: Option<Vec<OrderStatus>>,
    /// Staff only: one customer's orders.
    pub customer_id: Option<ID>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_until: Option<DateTime<Utc>>,
    /// Staff only: an order number or part of the buyer's email.
    pub search: Option<String>,
}

#[derive(SimpleObject)]
pub struct TopVariant {
    pub variant_id: ID,
    pub sku: String,
    pub product_name: String,
    pub variant_title: String,
    pub units: i32,
    pub revenue: Money,
}

#[derive(SimpleObject)]
pub struct DaySales {
    pub day: crate::money::Date,
    pub revenue: Money,
    pub orders: i32,
    pub units: i32,
}

/// Sales of paid orders (refunds excluded) created in the period.
#[derive(SimpleObject)]
pub struct SalesSummary {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub revenue: Money,
    pub orders: i32,
    pub units: i32,
    pub average_order_value: Money,
    /// Best sellers by units.
    pub top_variants: Vec<TopVariant>,
    pub by_day: Vec<DaySales>,
}

#[derive(Default)]
pub struct CommerceQuery;

#[Object]
impl CommerceQuery {
    /// A cart: yours, or a guest cart whose `cartToken` you hold (the same argument as
    /// the cart mutations take). Null otherwise.
    #[graphql(guard = "allow(\"Query.cart\")")]
    async fn cart(&self, ctx: &Context<'_>, id: ID, cart_token: Option<String>) -> Result<Option<Cart>> {
        let access = cart_access(ctx, &id, cart_token).map_err(ApiError).gql()?;
        match ctx.data_unchecked::<stockade_domain::checkout::CartService>().get(&access).await {
            Ok(cart) => Ok(Some(Cart(cart))),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ApiError(e)).gql(),
        }
    }

    /// The signed-in customer's active cart, if any.
    #[graphql(guard = "allow(\"Query.myCart\")")]
    async fn my_cart(&self, ctx: &Context<'_>) -> Result<Option<Cart>> {
        let Some(who) = viewer(ctx).signed_in() else { return Ok(None) };
        Ok(ctx.data_unchecked::<stockade_domain::checkout::CartService>().of_customer(who.user_id).await.gql()?.map(Cart))
    }

    /// An order: yours, any for staff, or a guest order whose `token` you hold.
    /// Null otherwise.
    #[graphql(guard = "allow(\"Query.order\")")]
    async fn order(&self, ctx: &Context<'_>, id: ID, token: Option<String>) -> Result<Option<Order>> {
        let id = decode_as(&id, NodeType::Order, "id").gql()?;
        match ctx.data_unchecked::<stockade_domain::orders::OrderService>().visible(id, viewer(ctx), token.as_deref()).await {
            Ok(order) => Ok(Some(Order(order))),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ApiError(e)).gql(),
        }
    }

    /// Orders, newest first: your own, or for staff every order (with filters).
    #[graphql(guard = "allow(\"Query.orders\")", complexity = "crate::catalog::page_cost(first, last, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OrdersFilter>,
    ) -> Result<CountedConnection<Order>> {
        let page = page_request(ctx, first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let viewer = viewer(ctx);
        let staff = viewer.is_staff();
        if !staff && (f.customer_id.is_some() || f.search.is_some()) {
            return Err(ApiError(Error::forbidden("only staff may filter by customer or search all orders"))).gql();
        }
        let customer_id = if staff {
            f.customer_id.as_ref().map(|id| decode_as(id, NodeType::User, "customerId")).transpose().gql()?
        } else {
            viewer.signed_in().map(|s| s.user_id)
        };
        let filter = OrderFilter {
            statuses: f.statuses.unwrap_or_default().into_iter().map(Into::into).collect(),
            customer_id,
            created_from: f.created_from,
            created_until: f.created_until,
            search: f.search,
        };
        let orders = ctx.data_unchecked::<stockade_domain::orders::OrderService>().clone();
        let result = orders.list(&filter, &page).await.gql()?;
        let total = Counted::new(move || {
            let (orders, filter) = (orders.clone(), filter.clone());
            async move { orders.count(&filter).await }
        });
        Ok(counted(result, Order, total))
    }

    /// Revenue, orders, units, average order value and best sellers, by day, for
    /// orders created in `[from, to)` (staff).
    #[graphql(guard = "allow(\"Query.salesSummary\")")]
    async fn sales_summary(&self, ctx: &Context<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<SalesSummary> {
        let s = ctx.data_unchecked::<stockade_domain::orders::OrderService>().sales_summary(from, to).await.gql()?;
        Ok(SalesSummary {
            from: s.from,
            to: s.to,
            revenue: Money(s.revenue),
            orders: int(s.orders),
            units: int(s.units),
            average_order_value: Money(s.average_order_value),
            top_variants: s
                .top_variants
                .into_iter()
                .map(|t| TopVariant {
                    variant_id: NodeType::Variant.id(t.variant_id),
                    sku: t.sku,
                    product_name: t.product_name,
                    variant_title: t.variant_title,
                    units: int(t.units),
                    revenue: Money(t.revenue),
                })
                .collect(),
            by_day: s
                .by_day
                .into_iter()
                .map(|d| DaySales { day: crate::money::Date(d.day), revenue: Money(d.revenue), orders: int(d.orders), units: int(d.units) })
                .collect(),
        })
    }

    /// Coupons, newest first (staff; Relay connection).
    #[graphql(guard = "allow(\"Query.coupons\")", complexity = "crate::catalog::page_cost(first, last, child_complexity)")]
    async fn coupons(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<Coupon>> {
        let page = page_request(ctx, first, after, last, before)?;
        let coupons = ctx.data_unchecked::<stockade_domain::coupons::CouponService>().clone();
        let result = coupons.list(&page).await.gql()?;
        let total = Counted::new(move || {
            let coupons = coupons.clone();
            async move { coupons.count().await }
        });
        Ok(counted(result, Coupon, total))
    }
}
