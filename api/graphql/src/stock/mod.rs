//! Stock as the API shows it beside the catalog: the batched loads of levels, totals,
//! thresholds and locations, and the leaf types they fill. The catalog's `Variant`
//! resolves its stock fields here; the staff inventory API (`inventory`) builds on both.

pub mod loaders;
pub(crate) mod types;
pub(crate) mod variant_fields;

pub use types::{LowStockThreshold, StockLocation};

use async_graphql::Context;

use crate::batch::Batcher;
use loaders::InventoryLoader;
use stockade_domain::inventory::InventoryService;

pub(crate) fn loader<'a>(ctx: &'a Context<'_>) -> &'a Batcher<InventoryLoader> {
    ctx.data_unchecked::<Batcher<InventoryLoader>>()
}

pub(crate) fn service<'a>(ctx: &'a Context<'_>) -> &'a InventoryService {
    ctx.data_unchecked::<InventoryService>()
}
