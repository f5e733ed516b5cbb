//! Carts as the domain sees them, and who may use one.
//!
//! A guest cart is used with its secret token (shown once, stored hashed); a customer
//! cart belongs to its customer (one active cart each, enforced by the database). A
//! line's hold is not stored on the line: it is read from the stock reservations the
//! cart owns, so a hold that expired shows as "not held" instead of disappearing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};
use subtle::ConstantTimeEq;

use crate::accounts::tokens::token_hash;
use crate::address::Address;
use crate::entity::{cart, cart_line};
use crate::error::{Error, Result};
use crate::inventory::{Owner, OwnerKind};
use crate::money::{Currency, Money};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartStatus {
    Active,
    /// Merged into its owner's customer cart at sign-in.
    Merged,
    /// Checked out: its lines became an order.
    Converted,
    /// Idle too long; its holds were released.
    Expired,
}

impl CartStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CartStatus::Active => "active",
            CartStatus::Merged => "merged",
            CartStatus::Converted => "converted",
            CartStatus::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "active" => CartStatus::Active,
            "merged" => CartStatus::Merged,
            "converted" => CartStatus::Converted,
            "expired" => CartStatus::Expired,
            other => return Err(Error::Internal(anyhow::anyhow!("unknown cart status in database: {other}"))),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLine {
    pub id: i64,
    pub variant_id: i64,
    pub quantity: i64,
    /// The unit price when the line was added (or when a price change was accepted).
    pub unit_price: Money,
    /// Units currently held for this line by active reservations.
    pub held: i64,
    /// When the earliest of those holds ends.
    pub reserved_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl CartLine {
    /// Every unit of the line is held.
    pub fn fully_held(&self) -> bool {
        self.held >= self.quantity
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cart {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub status: CartStatus,
    pub email: Option<String>,
    pub shipping_address: Option<Address>,
    pub coupon_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub lines: Vec<CartLine>,
}

impl Cart {
    /// The earliest hold expiry among the lines.
    pub fn reserved_until(&self) -> Option<DateTime<Utc>> {
        self.lines.iter().filter_map(|l| l.reserved_until).min()
    }

    /// Whether some line is not (fully) held any more.
    pub fn has_lapsed_holds(&self) -> bool {
        self.lines.iter().any(|l| !l.fully_held())
    }

    pub fn owner(&self) -> Owner {
        cart_owner(self.id)
    }
}

/// The reservation owner of a cart's holds.
pub fn cart_owner(cart_id: i64) -> Owner {
    Owner::numbered(OwnerKind::Cart, cart_id)
}

/// How the caller claims a cart: its id, and the token for a guest cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartAccess {
    pub cart_id: i64,
    pub token: Option<String>,
    /// The signed-in customer asking, if any.
    pub customer_id: Option<i64>,
}

/// Whether `access` may use the cart row: its customer, or anyone with the guest
/// cart's token. Others get `NotFound` (a cart's existence is not disclosed).
pub fn check_access(row: &cart::Model, access: &CartAccess) -> Result<()> {
    let allowed = match (row.customer_id, &row.token_hash, &access.token) {
        (Some(owner), _, _) => access.customer_id == Some(owner),
        (None, Some(hash), Some(token)) => token_hash(token).as_bytes().ct_eq(hash.as_bytes()).into(),
        _ => false,
    };
    if allowed { Ok(()) } else { Err(Error::not_found("cart", "cartId")) }
}

#[derive(FromQueryResult)]
struct HoldRow {
    variant_id: i64,
    held: i64,
    until: Option<DateTime<Utc>>,
}

/// Loads a cart with its lines and their holds.
pub async fn load<C: ConnectionTrait>(conn: &C, row: cart::Model, currency: Currency) -> Result<Cart> {
    let lines =
        cart_line::Entity::find().filter(cart_line::Column::CartId.eq(row.id)).order_by_asc(cart_line::Column::Id).all(conn).await?;
    let holds = holds_of(conn, row.id).await?;
    let shipping_address = row
        .shipping_address
        .clone()
        .map(serde_json::from_value::<Address>)
        .transpose()
        .map_err(|e| Error::Internal(anyhow::anyhow!("cart {} address: {e}", row.id)))?;
    Ok(Cart {
        id: row.id,
        customer_id: row.customer_id,
        status: CartStatus::parse(&row.status)?,
        email: row.email,
        shipping_address,
        coupon_id: row.coupon_id,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        expires_at: row.expires_at,
        lines: lines
            .into_iter()
            .map(|l| {
                let (held, until) = holds.get(&l.variant_id).copied().unwrap_or((0, None));
                CartLine {
                    id: l.id,
                    variant_id: l.variant_id,
                    quantity: i64::from(l.quantity),
                    unit_price: Money::new(l.unit_price, currency),
                    held: held.min(i64::from(l.quantity)),
                    reserved_until: until,
                    created_at: l.created_at,
                }
            })
            .collect(),
    })
}

/// Units held per variant by the cart's active, unexpired reservations, and when the
/// earliest of them ends. A reservation past its expiry that the sweeper has not yet
/// reached no longer counts as held.
pub async fn holds_of<C: ConnectionTrait>(conn: &C, cart_id: i64) -> Result<HashMap<i64, (i64, Option<DateTime<Utc>>)>> {
    let sql = "SELECT variant_id, CAST(SUM(quantity) AS BIGINT) AS held, MIN(expires_at) AS until FROM reservations \
               WHERE owner_type = 'cart' AND owner_id = ? AND status = 'active' AND expires_at > ? GROUP BY variant_id";
    let stmt = crate::db::statement(conn.get_database_backend(), sql, vec![cart_id.to_string().into(), Utc::now().into()]);
    let rows = HoldRow::find_by_statement(stmt).all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.variant_id, (r.held, r.until))).collect())
}
