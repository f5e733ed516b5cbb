//! Inventory types as staff clients see them: locations and low-stock thresholds. (A
//! stock level names its variant and a variant lists its levels, so `StockLevel` lives
//! beside `Variant` in `catalog::types`; the inventory list's rows are in `item`.)

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::loader;
use super::loaders::LocationById;
use crate::error::{ResultExt, vanished};
use crate::ids::NodeType;
use crate::int::int;
use stockade_domain::inventory;

/// A warehouse or store that holds stock.
pub struct StockLocation(pub inventory::StockLocation);

#[Object]
impl StockLocation {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::StockLocation.id(self.0.id)
    }
    /// Short stable code, e.g. `main`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Lower is preferred when reservations are allocated.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
}

/// The stock location with `id`; an internal error if it is gone (locations are never
/// deleted, so that is a bug, not a client mistake).
pub(crate) async fn location(ctx: &Context<'_>, id: i64) -> Result<StockLocation> {
    let found = loader(ctx).load_one(LocationById(id)).await.gql()?;
    found.map(StockLocation).ok_or_else(|| vanished("stock location", id))
}

/// A variant's low-stock threshold: its own, or the shop default.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject, Clone, Copy)]
pub struct LowStockThreshold {
    /// At or below this many available units, the variant counts as low on stock.
    pub value: i32,
    /// True when the variant has no threshold of its own and the default applies.
    pub is_default: bool,
}

impl From<inventory::LowStockThreshold> for LowStockThreshold {
    fn from(t: inventory::LowStockThreshold) -> Self {
        LowStockThreshold { value: int(t.value), is_default: t.is_default }
    }
}
