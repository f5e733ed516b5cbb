//! What stands between a cart and an order: every problem a storefront must show,
//! found before any payment, and the totals computed on the server.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::ConnectionTrait;

use super::cart::Cart;
use super::carts::CartService;
use super::pricing::{self, Totals};
use super::variants::{self, VariantInfo};
use crate::accounts::Email;
use crate::error::{Error, Result};
use crate::money::Money;

/// One reason the cart cannot be ordered yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    CartEmpty,
    /// Not enough stock for a line; `available` is what could be had now.
    OutOfStock {
        variant_id: i64,
        requested: i64,
        available: i64,
    },
    /// The price moved since the line was added; the buyer must accept it
    /// (`checkoutStart(acceptPriceChanges: true)`) before completing.
    PriceChanged {
        variant_id: i64,
        was: Money,
        now: Money,
    },
    /// Archived or discontinued since it was added.
    Unavailable {
        variant_id: i64,
        name: String,
    },
    MinimumOrderValue {
        minimum: Money,
        subtotal: Money,
    },
    CouponInvalid {
        code: String,
        message: String,
    },
    /// A field of the shipping address is missing or wrong (`shippingAddress.city`).
    AddressIncomplete {
        field: String,
        message: String,
    },
    EmailRequired,
    /// We do not ship to the address's country.
    ShippingUnavailable {
        country: String,
    },
}

impl Problem {
    pub fn message(&self) -> String {
        match self {
            Problem::CartEmpty => "the cart is empty".into(),
            Problem::OutOfStock { requested, available, .. } => format!("only {available} left (you asked for {requested})"),
            Problem::PriceChanged { was, now, .. } => format!("the price changed from {} to {}", was.formatted(), now.formatted()),
            Problem::Unavailable { name, .. } => format!("{name} is no longer sold"),
            Problem::MinimumOrderValue { minimum, .. } => format!("orders must be at least {}", minimum.formatted()),
            Problem::CouponInvalid { message, .. } => message.clone(),
            Problem::AddressIncomplete { message, .. } => message.clone(),
            Problem::EmailRequired => "an email address is required".into(),
            Problem::ShippingUnavailable { country } => format!("we do not ship to {country}"),
        }
    }
}

/// The cart, its totals, and what must be fixed before completing.
#[derive(Clone, Debug)]
pub struct Review {
    pub cart: Cart,
    pub totals: Totals,
    pub problems: Vec<Problem>,
    /// The cart's variants as the review read them (an order made from it copies them).
    pub(super) variants: HashMap<i64, VariantInfo>,
}

impl Review {
    pub fn ready(&self) -> bool {
        self.problems.is_empty()
    }
}

impl CartService {
    /// Reviews `cart` on `conn` (inside or outside a transaction).
    pub(super) async fn assess<C: ConnectionTrait>(&self, conn: &C, cart: Cart) -> Result<Review> {
        let mut problems = Vec::new();
        if cart.email.as_deref().is_none_or(|e| Email::parse(e).is_err()) {
            problems.push(Problem::EmailRequired);
        }
        if cart.shipping_address.is_none() {
            problems.push(Problem::AddressIncomplete { field: "shippingAddress".into(), message: "a shipping address is required".into() });
        }
        if cart.lines.is_empty() {
            problems.push(Problem::CartEmpty);
        }
        let ids: Vec<i64> = cart.lines.iter().map(|l| l.variant_id).collect();
        let info = variants::load(conn, &ids).await?;
        // Free stock matters only to lines not fully held.
        let short: Vec<i64> = cart.lines.iter().filter(|l| !l.fully_held()).map(|l| l.variant_id).collect();
        let free = if short.is_empty() { Default::default() } else { self.inventory.available_by_variant_ids_in(conn, &short).await? };
        let mut subtotal = 0i64;
        for line in &cart.lines {
            subtotal += line.unit_price.amount * line.quantity;
            let Some(v) = info.get(&line.variant_id).filter(|v| v.purchasable()) else {
                let name = info
                    .get(&line.variant_id)
                    .map(|v| format!("{} ({})", v.product_name, v.variant_title))
                    .unwrap_or_else(|| "an item".into());
                problems.push(Problem::Unavailable { variant_id: line.variant_id, name });
                continue;
            };
            if v.price != line.unit_price.amount {
                problems.push(Problem::PriceChanged {
                    variant_id: line.variant_id,
                    was: line.unit_price,
                    now: Money::new(v.price, self.currency),
                });
            }
            if !line.fully_held() {
                let could_have = line.held + free.get(&line.variant_id).copied().unwrap_or(0);
                if could_have < line.quantity {
                    problems.push(Problem::OutOfStock { variant_id: line.variant_id, requested: line.quantity, available: could_have });
                }
            }
        }
        let mut discount = 0;
        if let Some(coupon_id) = cart.coupon_id {
            match crate::coupons::by_id_in(conn, coupon_id).await? {
                Some(coupon) => {
                    let (lines, paths) = self.coupon_context(conn, cart.id, &coupon.category_ids).await?;
                    match coupon.evaluate(&lines, &paths, Utc::now()) {
                        Ok(d) => discount = d,
                        Err(p) => problems.push(Problem::CouponInvalid { code: coupon.code.clone(), message: p.message }),
                    }
                }
                None => problems.push(Problem::CouponInvalid { code: String::new(), message: "the coupon no longer exists".into() }),
            }
        }
        let pricing = &self.config.pricing;
        if subtotal - discount < pricing.min_order_value {
            problems.push(Problem::MinimumOrderValue {
                minimum: Money::new(pricing.min_order_value, self.currency),
                subtotal: Money::new(subtotal - discount, self.currency),
            });
        }
        let country = cart.shipping_address.as_ref().map(|a| a.country.clone());
        let totals = match pricing::totals(pricing, subtotal, discount, country.as_deref()) {
            Ok(t) => t,
            Err(Error::Invalid { .. }) => {
                problems.push(Problem::ShippingUnavailable { country: country.clone().unwrap_or_default() });
                pricing::totals(pricing, subtotal, discount, None)?
            }
            Err(e) => return Err(e),
        };
        Ok(Review { cart, totals, problems, variants: info })
    }
}
