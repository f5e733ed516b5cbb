//! The Relay `Node` interface: fetch any object by its global id.
//!
//! Every type with an id implements it, and `node` applies the same rule as the entry
//! points that hand the object out: what you could not reach there is null here (never
//! an error, so an id's existence is not disclosed).

use async_graphql::{Context, ID, Interface, Object, Result};

use super::access::viewer;
use super::accounts::types::User;
use super::catalog::loaders::{CategoryById, ProductById, VariantById};
use super::catalog::search::SearchSynonym;
use super::catalog::types::{Category, Product, StockLevel, Variant, loader};
use super::commerce::cart_types::{Cart, CartLine};
use super::commerce::order_types::{Order, Payment, PaymentIssue, Refund};
use super::commerce::{Coupon, cart_access};
use super::error::{ApiError, ResultExt};
use super::ids::{CompositeType, NodeKey, NodeType, decode_key};
use super::inventory::item::InventoryItem;
use super::inventory::movement::StockMovement;
use super::stock::types::StockLocation;
use stockade_domain::accounts::{AccountService, Viewer};
use stockade_domain::catalog::SearchService;
use stockade_domain::checkout::{CartAccess, CartService};
use stockade_domain::coupons::CouponService;
use stockade_domain::error::Error;
use stockade_domain::inventory::InventoryService;
use stockade_domain::orders::OrderService;
use stockade_domain::payments::PaymentService;

/// An object with a global id. `node(id)` fetches any of them, with the access rule of
/// its type: catalog objects for anyone (drafts for staff); your own account, carts
/// (signed in; a guest cart needs `cart(id, cartToken)`), orders and their payments and
/// refunds (all of them for staff); staff-only objects (coupons, synonym sets, stock locations and
/// levels, ledger rows, inventory rows, payment issues) for staff. Anything else is null.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    Product(Product),
    Variant(Variant),
    Category(Category),
    User(User),
    Cart(Cart),
    CartLine(CartLine),
    Order(Order),
    Payment(Payment),
    Refund(Refund),
    PaymentIssue(PaymentIssue),
    Coupon(Coupon),
    SearchSynonym(SearchSynonym),
    StockLocation(StockLocation),
    StockLevel(StockLevel),
    StockMovement(StockMovement),
    InventoryItem(InventoryItem),
}

/// Most ids one `nodes` call may ask for.
const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by global id; null if it does not exist or is not visible to you.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let key = decode_key(&id, "id").gql()?;
        load(ctx, key).await
    }

    /// Several objects by global id, in the order asked (at most 100).
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input("ids", format!("at most {MAX_NODES} ids per call"))).gql();
        }
        let keys = ids.iter().map(|id| decode_key(id, "ids")).collect::<Result<Vec<_>, _>>().gql()?;
        futures::future::try_join_all(keys.into_iter().map(|key| load(ctx, key))).await
    }
}

/// A lookup whose "not found" (or "not yours") is simply no object.
fn found<T>(result: stockade_domain::error::Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(ApiError(e)).gql(),
    }
}

/// The order `id` if the viewer may see it (its customer, or staff).
async fn visible_order(ctx: &Context<'_>, id: i64) -> Result<Option<stockade_domain::orders::Order>> {
    found(ctx.data_unchecked::<OrderService>().visible(id, viewer(ctx), None).await)
}

/// The object `key` names, if the viewer may see it.
async fn load(ctx: &Context<'_>, key: NodeKey) -> Result<Option<Node>> {
    let viewer: &Viewer = viewer(ctx);
    let staff = viewer.is_staff();
    let (kind, raw) = match key {
        NodeKey::Row(kind, raw) => (kind, raw),
        NodeKey::Composite(kind, parts) => return load_composite(ctx, staff, kind, &parts).await,
    };
    let loader = loader(ctx);
    Ok(match kind {
        NodeType::Product => loader.load_one(ProductById(raw)).await.gql()?.map(|p| Node::Product(Product::new(p))),
        NodeType::Variant => loader.load_one(VariantById(raw)).await.gql()?.map(|v| Node::Variant(Variant::new(v))),
        NodeType::Category => loader.load_one(CategoryById(raw)).await.gql()?.map(|c| Node::Category(Category(c))),
        NodeType::User => {
            let own = viewer.signed_in().is_some_and(|s| s.user_id == raw);
            if !(own || staff) {
                return Ok(None);
            }
            ctx.data_unchecked::<AccountService>().users_by_ids(&[raw]).await.gql()?.remove(&raw).map(|u| Node::User(User(u)))
        }
        NodeType::Cart => {
            let access = cart_access(ctx, &NodeType::Cart.id(raw), None).map_err(ApiError).gql()?;
            found(ctx.data_unchecked::<CartService>().get(&access).await)?.map(|c| Node::Cart(Cart(c)))
        }
        NodeType::CartLine => {
            let access = CartAccess { cart_id: 0, token: None, customer_id: viewer.signed_in().map(|s| s.user_id) };
            let cart = ctx.data_unchecked::<CartService>().with_line(raw, &access).await.gql()?;
            cart.and_then(|c| c.lines.into_iter().find(|l| l.id == raw)).map(|l| Node::CartLine(CartLine(l)))
        }
        NodeType::Order => visible_order(ctx, raw).await?.map(|o| Node::Order(Order(o))),
        NodeType::Payment => {
            let Some(payment) = ctx.data_unchecked::<PaymentService>().payment_by_id(raw).await.gql()? else { return Ok(None) };
            visible_order(ctx, payment.order_id).await?.map(|_| Node::Payment(Payment(payment)))
        }
        NodeType::Refund => {
            let Some(refund) = ctx.data_unchecked::<PaymentService>().refund_by_id(raw).await.gql()? else { return Ok(None) };
            visible_order(ctx, refund.order_id).await?.map(|_| Node::Refund(Refund(refund)))
        }
        // The rest is staff data.
        _ if !staff => None,
        NodeType::PaymentIssue => {
            ctx.data_unchecked::<PaymentService>().issue_of(raw).await.gql()?.map(|i| Node::PaymentIssue(PaymentIssue(i)))
        }
        NodeType::Coupon => ctx.data_unchecked::<CouponService>().by_id(raw).await.gql()?.map(|c| Node::Coupon(Coupon(c))),
        NodeType::SearchSynonym => {
            ctx.data_unchecked::<SearchService>().synonym_set(raw).await.gql()?.map(|s| Node::SearchSynonym(SearchSynonym(s)))
        }
        NodeType::StockLocation => ctx
            .data_unchecked::<InventoryService>()
            .locations_by_ids(&[raw])
            .await
            .gql()?
            .remove(&raw)
            .map(|l| Node::StockLocation(StockLocation(l))),
        NodeType::StockMovement => {
            ctx.data_unchecked::<InventoryService>().movement(raw).await.gql()?.map(|m| Node::StockMovement(StockMovement(m)))
        }
    })
}

async fn load_composite(ctx: &Context<'_>, staff: bool, kind: CompositeType, parts: &[i64]) -> Result<Option<Node>> {
    if !staff {
        return Ok(None);
    }
    let inventory = ctx.data_unchecked::<InventoryService>();
    Ok(match (kind, parts) {
        (CompositeType::StockLevel, &[variant_id, location_id]) => {
            found(inventory.level(variant_id, location_id).await)?.map(|l| Node::StockLevel(StockLevel(l)))
        }
        (CompositeType::InventoryItem, &[variant_id]) => inventory
            .inventory_item(variant_id, None)
            .await
            .gql()?
            .map(|item| Node::InventoryItem(InventoryItem { item, location_id: None })),
        (CompositeType::InventoryItem, &[variant_id, location_id]) => inventory
            .inventory_item(variant_id, Some(location_id))
            .await
            .gql()?
            .map(|item| Node::InventoryItem(InventoryItem { item, location_id: Some(location_id) })),
        // A reservation key, or a malformed composite: nothing to fetch.
        _ => None,
    })
}
