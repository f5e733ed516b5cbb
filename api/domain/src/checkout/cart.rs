//! Carts as the domain sees them, and who may use one.
//!
//! A guest cart is used with its secret token (shown once, stored hashed); a customer
//! cart belongs to its customer (one active cart each, enforced by the database). A
//! line's hold is not stored on the line: it is read from the stock reservations the
//! cart owns, so a hold that expired shows as "not held" instead of disappearing.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use subtle::ConstantTimeEq;

use crate::accounts::tokens::token_hash;
use crate::address::Address;
use crate::entity::cart;
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

/// A cart line with its holds, as [`LINES_SQL`] reads it (all `None` for a cart
/// without lines, when read through its cart).
#[derive(FromQueryResult)]
struct LineRow {
    line_id: Option<i64>,
    line_variant_id: Option<i64>,
    line_quantity: Option<i32>,
    line_unit_price: Option<i64>,
    line_created_at: Option<DateTime<Utc>>,
    line_held: Option<i64>,
    line_until: Option<DateTime<Utc>>,
}

impl LineRow {
    /// The line, if the row has one. A line holds at most its quantity: units held by
    /// the cart's active, unexpired reservations (a reservation past its expiry that
    /// the sweeper has not yet reached no longer counts), and the earliest expiry.
    fn line(self, currency: Currency) -> Option<CartLine> {
        let quantity = i64::from(self.line_quantity?);
        Some(CartLine {
            id: self.line_id?,
            variant_id: self.line_variant_id?,
            quantity,
            unit_price: Money::new(self.line_unit_price?, currency),
            held: self.line_held.unwrap_or(0).min(quantity),
            reserved_until: self.line_until,
            created_at: self.line_created_at?,
        })
    }
}

/// A cart's lines and each line's holds, in the order they were added: what follows
/// `SELECT` and the cart's columns (`c.*, ` or nothing). Takes the cart's reservation
/// owner id, the time holds are counted at, and the cart id.
const LINES_SQL: &str = "l.id AS line_id, l.variant_id AS line_variant_id, l.quantity AS line_quantity, \
     l.unit_price AS line_unit_price, l.created_at AS line_created_at, h.held AS line_held, h.until AS line_until \
     FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id \
     LEFT JOIN (SELECT variant_id, CAST(SUM(quantity) AS BIGINT) AS held, MIN(expires_at) AS until FROM reservations \
     WHERE owner_type = 'cart' AND owner_id = ? AND status = 'active' AND expires_at > ? GROUP BY variant_id) h \
     ON h.variant_id = l.variant_id \
     WHERE c.id = ? ORDER BY l.id";

fn lines_statement(backend: sea_orm::DbBackend, with_cart: bool, cart_id: i64) -> sea_orm::Statement {
    let sql = format!("SELECT {}{LINES_SQL}", if with_cart { "c.*, " } else { "" });
    crate::db::statement(backend, &sql, vec![cart_owner(cart_id).id().into(), Utc::now().into(), cart_id.into()])
}

/// Builds the cart from its row and its lines (with their holds).
fn assemble(row: cart::Model, lines: Vec<CartLine>) -> Result<Cart> {
    let shipping_address = row
        .shipping_address
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
        lines,
    })
}

/// A cart without lines, from its row.
pub fn without_lines(row: cart::Model) -> Result<Cart> {
    assemble(row, Vec::new())
}

/// Loads a cart with its lines and their holds (one statement).
pub async fn load<C: ConnectionTrait>(conn: &C, row: cart::Model, currency: Currency) -> Result<Cart> {
    let stmt = lines_statement(conn.get_database_backend(), false, row.id);
    let lines = LineRow::find_by_statement(stmt).all(conn).await?.into_iter().filter_map(|l| l.line(currency)).collect();
    assemble(row, lines)
}

/// The cart with `cart_id`, its row (to check who may use it) and its lines with their
/// holds, in one statement; `None` if there is no such cart.
pub async fn find<C: ConnectionTrait>(conn: &C, cart_id: i64, currency: Currency) -> Result<Option<(cart::Model, Cart)>> {
    let stmt = lines_statement(conn.get_database_backend(), true, cart_id);
    let rows = conn.query_all_raw(stmt).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let row = cart::Model::from_query_result(first, "")?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        lines.extend(LineRow::from_query_result(r, "")?.line(currency));
    }
    Ok(Some((row.clone(), assemble(row, lines)?)))
}
