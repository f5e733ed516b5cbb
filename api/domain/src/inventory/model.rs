//! Inventory domain types, converted from storage rows once at the service boundary.

use chrono::{DateTime, SubsecRound, Utc};

use super::limits::MAX_OWNER_ID_CHARS;
use crate::actor::Actor;
use crate::entity::{reservation, stock_level, stock_location, stock_movement};
use crate::error::{Error, Result};

/// A warehouse or store that holds stock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLocation {
    pub id: i64,
    /// Short stable code, e.g. `main`.
    pub code: String,
    pub name: String,
    /// Lower is preferred when allocating reservations.
    pub priority: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<stock_location::Model> for StockLocation {
    fn from(m: stock_location::Model) -> Self {
        StockLocation { id: m.id, code: m.code, name: m.name, priority: m.priority, created_at: m.created_at, updated_at: m.updated_at }
    }
}

/// Stock of one variant at one location. `version` 0 means no stock level row exists
/// yet (nothing was ever stocked there); pass 0 as `expected_version` to create one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevel {
    pub variant_id: i64,
    pub location_id: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl StockLevel {
    /// What can still be reserved: `on_hand - reserved`.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    /// The state of a variant at a location that has never been stocked.
    pub fn empty(variant_id: i64, location_id: i64) -> Self {
        StockLevel { variant_id, location_id, on_hand: 0, reserved: 0, version: 0, updated_at: None }
    }
}

impl From<stock_level::Model> for StockLevel {
    fn from(m: stock_level::Model) -> Self {
        StockLevel {
            variant_id: m.variant_id,
            location_id: m.location_id,
            on_hand: m.on_hand,
            reserved: m.reserved,
            version: m.version,
            updated_at: Some(m.updated_at),
        }
    }
}

/// Who holds a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    Cart,
    Checkout,
    Order,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Cart => "cart",
            OwnerKind::Checkout => "checkout",
            OwnerKind::Order => "order",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "cart" => Ok(OwnerKind::Cart),
            "checkout" => Ok(OwnerKind::Checkout),
            "order" => Ok(OwnerKind::Order),
            other => Err(Error::Internal(anyhow::anyhow!("unknown reservation owner type in database: {other}"))),
        }
    }
}

/// The cart, checkout or order a reservation belongs to. Built with [`Owner::new`],
/// which checks the id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    kind: OwnerKind,
    id: String,
}

impl Owner {
    /// `id` is the owner's own identifier (e.g. a cart token): 1 to 64 printable characters.
    pub fn new(kind: OwnerKind, id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        let len = id.chars().count();
        if len == 0 || len > MAX_OWNER_ID_CHARS || id.chars().any(char::is_control) {
            return Err(Error::invalid("owner", format!("owner id must be 1 to {MAX_OWNER_ID_CHARS} printable characters")));
        }
        Ok(Owner { kind, id })
    }

    /// The owner with a numeric id (carts and orders), which is always valid.
    pub fn numbered(kind: OwnerKind, id: i64) -> Self {
        Owner { kind, id: id.to_string() }
    }

    pub fn kind(&self) -> OwnerKind {
        self.kind
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReservationStatus {
    /// Holding stock until it is committed, released or expires.
    Active,
    /// Turned into a sale.
    Committed,
    /// Given back by its owner.
    Released,
    /// Given back by the sweeper after `expires_at`.
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Active => "active",
            ReservationStatus::Committed => "committed",
            ReservationStatus::Released => "released",
            ReservationStatus::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(ReservationStatus::Active),
            "committed" => Ok(ReservationStatus::Committed),
            "released" => Ok(ReservationStatus::Released),
            "expired" => Ok(ReservationStatus::Expired),
            other => Err(Error::Internal(anyhow::anyhow!("unknown reservation status in database: {other}"))),
        }
    }
}

/// Units of one variant held at one location for an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reservation {
    pub id: i64,
    pub variant_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    pub owner: Owner,
    pub status: ReservationStatus,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<reservation::Model> for Reservation {
    type Error = Error;
    fn try_from(m: reservation::Model) -> Result<Self> {
        Ok(Reservation {
            id: m.id,
            variant_id: m.variant_id,
            location_id: m.location_id,
            quantity: m.quantity,
            owner: Owner { kind: OwnerKind::parse(&m.owner_type)?, id: m.owner_id },
            status: ReservationStatus::parse(&m.status)?,
            expires_at: m.expires_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// Why stock changed: the `reason` of a ledger row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MovementReason {
    Reserve,
    Release,
    Expire,
    Sale,
    Restock,
    Adjustment,
    Transfer,
    Return,
}

impl MovementReason {
    pub const ALL: [MovementReason; 8] = [
        MovementReason::Reserve,
        MovementReason::Release,
        MovementReason::Expire,
        MovementReason::Sale,
        MovementReason::Restock,
        MovementReason::Adjustment,
        MovementReason::Transfer,
        MovementReason::Return,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementReason::Reserve => "reserve",
            MovementReason::Release => "release",
            MovementReason::Expire => "expire",
            MovementReason::Sale => "sale",
            MovementReason::Restock => "restock",
            MovementReason::Adjustment => "adjustment",
            MovementReason::Transfer => "transfer",
            MovementReason::Return => "return",
        }
    }

    /// Parses client input (e.g. an adjustment's reason); unknown text is an
    /// [`Error::Invalid`] naming the `reason` field.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
            Error::invalid("reason", format!("unknown reason (expected one of: {})", known.join(", ")))
        })
    }

    /// Reasons staff may give for a manual adjustment; the others are written by the
    /// operations they name (reserve, sale, transfer, ...).
    pub fn allowed_for_adjustment(self) -> bool {
        matches!(self, MovementReason::Adjustment | MovementReason::Restock | MovementReason::Return)
    }
}

/// What a stock change refers to: the `reference` of a ledger row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Reservation(i64),
    /// An order, by the identifier its owner gave (`commit`).
    Order(String),
    /// A manual adjustment by staff.
    Adjustment,
    /// Both legs of one transfer share its id.
    Transfer(String),
    /// Nothing but the movement's note (e.g. a restock).
    Note,
}

impl Reference {
    /// Stored form: reference type and id.
    pub fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Reference::Reservation(id) => ("reservation", Some(id.to_string())),
            Reference::Order(id) => ("order", Some(id.clone())),
            Reference::Adjustment => ("adjustment", None),
            Reference::Transfer(id) => ("transfer", Some(id.clone())),
            Reference::Note => ("note", None),
        }
    }

    pub(super) fn from_parts(kind: &str, id: Option<String>) -> Result<Self> {
        let bad = || Error::Internal(anyhow::anyhow!("malformed movement reference in database: {kind} {id:?}"));
        Ok(match (kind, id.clone()) {
            ("reservation", Some(id)) => Reference::Reservation(id.parse().map_err(|_| bad())?),
            ("order", Some(id)) => Reference::Order(id),
            ("adjustment", _) => Reference::Adjustment,
            ("transfer", Some(id)) => Reference::Transfer(id),
            ("note", _) => Reference::Note,
            _ => return Err(bad()),
        })
    }
}

/// One row of the stock ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub id: i64,
    pub variant_id: i64,
    pub location_id: i64,
    pub delta_on_hand: i64,
    pub delta_reserved: i64,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    /// The stock level's version after this change.
    pub version_after: i64,
    pub reason: MovementReason,
    pub actor: Actor,
    pub reference: Reference,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<stock_movement::Model> for Movement {
    type Error = Error;
    fn try_from(m: stock_movement::Model) -> Result<Self> {
        let reason =
            MovementReason::parse(&m.reason).map_err(|_| Error::Internal(anyhow::anyhow!("unknown reason in ledger: {}", m.reason)))?;
        let actor = Actor::from_parts(&m.actor_type, m.actor_id)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("malformed actor in ledger: {} {:?}", m.actor_type, m.actor_id)))?;
        Ok(Movement {
            id: m.id,
            variant_id: m.variant_id,
            location_id: m.location_id,
            delta_on_hand: m.delta_on_hand,
            delta_reserved: m.delta_reserved,
            on_hand_after: m.on_hand_after,
            reserved_after: m.reserved_after,
            version_after: m.version_after,
            reason,
            actor,
            reference: Reference::from_parts(&m.reference_type, m.reference_id)?,
            note: m.note,
            created_at: m.created_at,
        })
    }
}

/// One line of a reservation request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReserveLine {
    pub variant_id: i64,
    pub quantity: i64,
    /// Reserve only at this location; `None` lets the allocator choose by priority.
    pub location_id: Option<i64>,
}

impl ReserveLine {
    pub fn new(variant_id: i64, quantity: i64) -> Self {
        ReserveLine { variant_id, quantity, location_id: None }
    }
}

/// The change a staff adjustment makes to `on_hand`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockChange {
    /// Add (positive) or remove (negative) units.
    Delta(i64),
    /// Set `on_hand` to this count (e.g. after a stock take).
    SetOnHand(i64),
}

/// A staff adjustment of one stock level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub variant_id: i64,
    pub location_id: i64,
    pub change: StockChange,
    /// `adjustment`, `restock` or `return`.
    pub reason: MovementReason,
    /// The version the editor saw (0: no stock level yet). `None` applies the change to
    /// whatever is there (for system callers; staff edits always name one).
    pub expected_version: Option<i64>,
    pub note: String,
}

/// What `release` gives back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReleaseTarget {
    /// Every active reservation of this owner.
    Owner(Owner),
    /// These reservations (those no longer active are skipped).
    Reservations(Vec<i64>),
}

/// The time stamped on changes: whole microseconds, as both backends store them.
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
