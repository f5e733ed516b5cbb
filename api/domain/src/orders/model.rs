//! Orders as the domain sees them: a snapshot of what was bought, at what price, for
//! whom and where to, with its state and timeline.

use chrono::{DateTime, Utc};

use super::status::OrderStatus;
use crate::address::Address;
use crate::entity::{order, order_event, order_line};
use crate::error::{Error, Result};
use crate::money::{Currency, Money};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: i64,
    pub status: OrderStatus,
    pub customer_id: Option<i64>,
    pub email: String,
    pub cart_id: i64,
    /// The checkout request's key (orders are created once per key).
    pub idempotency_key: String,
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
    pub coupon_code: Option<String>,
    pub shipping_address: Address,
    pub payment_deadline: DateTime<Utc>,
    pub version: i32,
    /// Refunded so far.
    pub refunded: Money,
    /// Staff marked the payment issue resolved at this version.
    pub issue_resolved_version: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<order::Model> for Order {
    type Error = Error;
    fn try_from(m: order::Model) -> Result<Self> {
        let currency: Currency = m.currency.parse().map_err(|e| Error::Internal(anyhow::anyhow!("order {} currency: {e}", m.id)))?;
        let money = |amount| Money::new(amount, currency);
        Ok(Order {
            id: m.id,
            status: OrderStatus::parse(&m.status)?,
            customer_id: m.customer_id,
            email: m.email,
            cart_id: m.cart_id,
            idempotency_key: m.idempotency_key,
            subtotal: money(m.subtotal),
            discount: money(m.discount),
            shipping: money(m.shipping),
            tax: money(m.tax),
            total: money(m.total),
            coupon_code: m.coupon_code,
            shipping_address: serde_json::from_value(m.shipping_address)
                .map_err(|e| Error::Internal(anyhow::anyhow!("order {} address: {e}", m.id)))?,
            payment_deadline: m.payment_deadline,
            version: m.version,
            refunded: money(m.refunded_amount),
            issue_resolved_version: m.issue_resolved_version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// One line as it was bought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLine {
    pub id: i64,
    pub order_id: i64,
    pub variant_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub product_name: String,
    pub variant_title: String,
    pub attributes: Vec<(String, String)>,
    pub unit_price: Money,
    pub quantity: i64,
    pub line_total: Money,
}

impl OrderLine {
    pub fn from_model(m: order_line::Model, currency: Currency) -> Self {
        let attributes = match m.attributes {
            serde_json::Value::Object(map) => {
                map.into_iter().map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))).collect()
            }
            _ => Vec::new(),
        };
        OrderLine {
            id: m.id,
            order_id: m.order_id,
            variant_id: m.variant_id,
            product_id: m.product_id,
            sku: m.sku,
            product_name: m.product_name,
            variant_title: m.variant_title,
            attributes,
            unit_price: Money::new(m.unit_price, currency),
            quantity: i64::from(m.quantity),
            line_total: Money::new(m.line_total, currency),
        }
    }
}

/// An entry of an order's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderEvent {
    pub id: i64,
    pub order_id: i64,
    /// `created`, `status_changed`, `note`, `payment_attempt`, `ignored_event`, ...
    pub kind: String,
    pub from_status: Option<OrderStatus>,
    pub to_status: Option<OrderStatus>,
    /// `staff`, `customer`, `guest`, `system`, `gateway`.
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub cause: String,
    pub data: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<order_event::Model> for OrderEvent {
    type Error = Error;
    fn try_from(m: order_event::Model) -> Result<Self> {
        Ok(OrderEvent {
            id: m.id,
            order_id: m.order_id,
            kind: m.kind,
            from_status: m.from_status.as_deref().map(OrderStatus::parse).transpose()?,
            to_status: m.to_status.as_deref().map(OrderStatus::parse).transpose()?,
            actor_type: m.actor_type,
            actor_id: m.actor_id,
            cause: m.cause,
            data: m.data,
            created_at: m.created_at,
        })
    }
}
