//! The Relay `Node` interface: fetch any object by its global id.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::catalog::loaders::{CategoryById, ProductById, VariantById};
use super::catalog::types::{Category, Product, Variant, loader};
use super::error::{ApiError, ResultExt};
use super::ids::{NodeType, decode};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    Product(Product),
    Variant(Variant),
    Category(Category),
}

/// Most ids one `nodes` call may ask for.
const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by global id; null if it does not exist or is not visible to you.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (kind, raw) = decode(&id, "id").gql()?;
        load(ctx, kind, raw).await
    }

    /// Several objects by global id, in the order asked (at most 100).
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input("ids", format!("at most {MAX_NODES} ids per call"))).gql();
        }
        let decoded = ids.iter().map(|id| decode(id, "ids")).collect::<Result<Vec<_>, _>>().gql()?;
        futures::future::try_join_all(decoded.into_iter().map(|(kind, raw)| load(ctx, kind, raw))).await
    }
}

async fn load(ctx: &Context<'_>, kind: NodeType, raw: i64) -> Result<Option<Node>> {
    let loader = loader(ctx);
    Ok(match kind {
        NodeType::Product => loader.load_one(ProductById(raw)).await.gql()?.map(|p| Node::Product(Product(p))),
        NodeType::Variant => loader.load_one(VariantById(raw)).await.gql()?.map(|v| Node::Variant(Variant(v))),
        NodeType::Category => loader.load_one(CategoryById(raw)).await.gql()?.map(|c| Node::Category(Category(c))),
        // Not fetched by id here: accounts, carts, orders and payments have their own
        // guarded lookups (`me`, `users`, `cart(id, token)`, `order(id, token)`);
        // locations and ledger rows are staff data, served by the inventory queries.
        NodeType::User
        | NodeType::Cart
        | NodeType::Order
        | NodeType::Coupon
        | NodeType::Payment
        | NodeType::Refund
        | NodeType::StockLocation
        | NodeType::StockMovement => None,
    })
}
