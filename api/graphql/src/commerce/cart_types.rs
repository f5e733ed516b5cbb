//! Carts and checkout as clients see them: addresses, totals, lines, the review.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::catalog::loaders::VariantById;
use crate::catalog::types::{Variant, loader as catalog_loader};
use crate::error::ResultExt;
use crate::ids::NodeType;
use crate::int::int;
use crate::money::Money;
use stockade_domain::checkout::{self, Problem};
use stockade_domain::coupons::CouponService;

/// A shipping address.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject, Clone)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// State, province or region (required for US, CA, AU).
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    pub country: String,
    pub phone: Option<String>,
}

impl From<stockade_domain::address::Address> for Address {
    fn from(a: stockade_domain::address::Address) -> Self {
        Address {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
            phone: a.phone,
        }
    }
}

/// A shipping address as entered; every problem is reported by `checkoutStart`.
#[derive(InputObject, Default)]
pub struct AddressInput {
    pub name: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
}

impl From<AddressInput> for stockade_domain::address::AddressInput {
    fn from(a: AddressInput) -> Self {
        stockade_domain::address::AddressInput {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
            phone: a.phone,
        }
    }
}

/// Server-computed totals, in minor units.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    /// Flat rate for the destination country; free above the shop's threshold.
    pub shipping: Money,
    /// One rate per destination country, on the discounted subtotal plus shipping.
    pub tax: Money,
    pub total: Money,
}

impl From<checkout::pricing::Totals> for Totals {
    fn from(t: checkout::pricing::Totals) -> Self {
        Totals {
            subtotal: Money(t.subtotal),
            discount: Money(t.discount),
            shipping: Money(t.shipping),
            tax: Money(t.tax),
            total: Money(t.total),
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CartStatus {
    Active,
    /// Merged into the customer's cart at sign-in.
    Merged,
    /// Checked out.
    Converted,
    /// Idle too long; its holds were released.
    Expired,
}

impl From<checkout::CartStatus> for CartStatus {
    fn from(s: checkout::CartStatus) -> Self {
        match s {
            checkout::CartStatus::Active => CartStatus::Active,
            checkout::CartStatus::Merged => CartStatus::Merged,
            checkout::CartStatus::Converted => CartStatus::Converted,
            checkout::CartStatus::Expired => CartStatus::Expired,
        }
    }
}

/// A shopping cart. Adding a line holds its stock for a while (`reservedUntil`); a
/// lapsed hold leaves the line in the cart with `held: false`.
pub struct Cart(pub checkout::Cart);

#[Object]
impl Cart {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::Cart.id(self.0.id)
    }
    /// Send it back as `expectedVersion` when editing the cart.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> CartStatus {
        self.0.status.into()
    }
    async fn lines(&self) -> Vec<CartLine> {
        self.0.lines.iter().cloned().map(CartLine).collect()
    }
    /// Units in the cart.
    async fn item_count(&self) -> i32 {
        int(self.0.lines.iter().map(|l| l.quantity).sum::<i64>())
    }
    /// Sum of the lines at the prices they were added at.
    async fn subtotal(&self, ctx: &Context<'_>) -> Money {
        let currency = *ctx.data_unchecked::<stockade_domain::money::Currency>();
        Money(stockade_domain::money::Money::new(self.0.lines.iter().map(|l| l.unit_price.amount * l.quantity).sum(), currency))
    }
    /// When the first hold ends; renew with `cartReservationExtend`.
    async fn reserved_until(&self) -> Option<DateTime<Utc>> {
        self.0.reserved_until()
    }
    /// Some line is no longer (fully) held: tell the buyer, and renew.
    async fn holds_lapsed(&self) -> bool {
        self.0.has_lapsed_holds()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The code of the coupon applied with `cartCouponApply`; null without one. The
    /// discount itself is worked out at checkout (`checkoutStart` totals), where a
    /// coupon that no longer applies is reported as a `COUPON_INVALID` problem.
    async fn coupon_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(id) = self.0.coupon_id else { return Ok(None) };
        Ok(ctx.data_unchecked::<CouponService>().by_id(id).await.gql()?.map(|c| c.code))
    }
    async fn shipping_address(&self) -> Option<Address> {
        self.0.shipping_address.clone().map(Address::from)
    }
    /// An idle cart expires (and releases its holds) after this.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One line of a cart.
pub struct CartLine(pub checkout::CartLine);

#[Object]
impl CartLine {
    /// Opaque id of the line: stable while the line is in the cart (a quantity change
    /// keeps it), so a client cache updates the cached line in place.
    pub async fn id(&self) -> ID {
        NodeType::CartLine.id(self.0.id)
    }
    /// The variant (null if it is no longer sold).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<Variant>> {
        Ok(catalog_loader(ctx).load_one(VariantById(self.0.variant_id)).await.gql()?.map(Variant::new))
    }
    async fn variant_id(&self) -> ID {
        NodeType::Variant.id(self.0.variant_id)
    }
    async fn quantity(&self) -> i32 {
        int(self.0.quantity)
    }
    /// The unit price when the line was added (or when a price change was accepted).
    async fn unit_price(&self) -> Money {
        Money(self.0.unit_price)
    }
    async fn line_total(&self) -> Money {
        Money(stockade_domain::money::Money::new(self.0.unit_price.amount * self.0.quantity, self.0.unit_price.currency))
    }
    /// Every unit of the line is held for you.
    async fn held(&self) -> bool {
        self.0.fully_held()
    }
    /// Units currently held (less than `quantity` when a hold lapsed).
    async fn held_quantity(&self) -> i32 {
        int(self.0.held)
    }
    /// When the line's hold ends.
    async fn reserved_until(&self) -> Option<DateTime<Utc>> {
        self.0.reserved_until
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CheckoutProblemCode {
    CartEmpty,
    /// `available` units are left.
    OutOfStock,
    /// Accept with `checkoutStart(acceptPriceChanges: true)`.
    PriceChanged,
    /// Archived or discontinued.
    Unavailable,
    MinimumOrderValue,
    CouponInvalid,
    /// `field` names the address field.
    AddressIncomplete,
    EmailRequired,
    ShippingUnavailable,
}

/// Something to fix before the cart can be ordered.
pub struct CheckoutProblem(pub Problem);

#[Object]
impl CheckoutProblem {
    async fn code(&self) -> CheckoutProblemCode {
        match self.0 {
            Problem::CartEmpty => CheckoutProblemCode::CartEmpty,
            Problem::OutOfStock { .. } => CheckoutProblemCode::OutOfStock,
            Problem::PriceChanged { .. } => CheckoutProblemCode::PriceChanged,
            Problem::Unavailable { .. } => CheckoutProblemCode::Unavailable,
            Problem::MinimumOrderValue { .. } => CheckoutProblemCode::MinimumOrderValue,
            Problem::CouponInvalid { .. } => CheckoutProblemCode::CouponInvalid,
            Problem::AddressIncomplete { .. } => CheckoutProblemCode::AddressIncomplete,
            Problem::EmailRequired => CheckoutProblemCode::EmailRequired,
            Problem::ShippingUnavailable { .. } => CheckoutProblemCode::ShippingUnavailable,
        }
    }
    /// For the buyer, in English.
    async fn message(&self) -> String {
        self.0.message()
    }
    /// Path to the input field concerned, in the form of `UserError.field` (e.g.
    /// `["shippingAddress", "city"]`); null for problems with the cart's contents.
    async fn field(&self) -> Option<Vec<String>> {
        match &self.0 {
            Problem::AddressIncomplete { field, .. } => Some(crate::error::field_path(None, field)),
            Problem::EmailRequired => Some(vec!["email".to_owned()]),
            _ => None,
        }
    }
    /// The variant concerned.
    async fn variant_id(&self) -> Option<ID> {
        match self.0 {
            Problem::OutOfStock { variant_id, .. } | Problem::PriceChanged { variant_id, .. } | Problem::Unavailable { variant_id, .. } => {
                Some(NodeType::Variant.id(variant_id))
            }
            _ => None,
        }
    }
    async fn requested(&self) -> Option<i32> {
        match self.0 {
            Problem::OutOfStock { requested, .. } => i32::try_from(requested).ok(),
            _ => None,
        }
    }
    /// Units still available (OUT_OF_STOCK).
    async fn available(&self) -> Option<i32> {
        match self.0 {
            Problem::OutOfStock { available, .. } => i32::try_from(available).ok(),
            _ => None,
        }
    }
    /// The price the line was added at (PRICE_CHANGED).
    async fn previous_price(&self) -> Option<Money> {
        match self.0 {
            Problem::PriceChanged { was, .. } => Some(Money(was)),
            _ => None,
        }
    }
    /// The price now (PRICE_CHANGED).
    async fn current_price(&self) -> Option<Money> {
        match self.0 {
            Problem::PriceChanged { now, .. } => Some(Money(now)),
            _ => None,
        }
    }
}

/// The state of a checkout: totals and what still stands in the way.
pub struct CheckoutReview(pub checkout::Review, pub std::time::Duration);

#[Object]
impl CheckoutReview {
    async fn cart(&self) -> Cart {
        Cart(self.0.cart.clone())
    }
    async fn totals(&self) -> Totals {
        self.0.totals.into()
    }
    async fn problems(&self) -> Vec<CheckoutProblem> {
        self.0.problems.iter().cloned().map(CheckoutProblem).collect()
    }
    /// No problems: `checkoutComplete` can create the order.
    async fn ready(&self) -> bool {
        self.0.ready()
    }
    /// After `checkoutComplete`, stock is held this long for payment.
    async fn payment_window_seconds(&self) -> i32 {
        int(self.1.as_secs())
    }
}
