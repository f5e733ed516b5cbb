//! Who may use what: every query, mutation, subscription and field of the API is
//! classified here, in one table, and enforced by the [`Allow`] guard.
//!
//! - `Public`: anyone, signed in or not.
//! - `Own`: a signed-in user, for their own data (the resolver or service restricts
//!   what it reads to the viewer's own records).
//! - `Staff`: staff and admins.
//! - `Admin`: admins only.
//!
//! Object types may set a default for all their fields; a `Type.field` entry overrides
//! it. Root operation fields must be listed one by one. A test walks the whole schema
//! and fails on any field this table does not classify, then checks that every
//! non-public field refuses guests and lesser roles.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::{Context, Guard};

use super::error::ApiError;
use stockade_domain::accounts::{Role, Viewer};
use stockade_domain::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Public,
    Own,
    Staff,
    Admin,
}

use Access::*;

/// `Type.field` or `Type` (a default for the type's fields) -> access.
pub const POLICY: &[(&str, Access)] = &[
    // Queries.
    ("Query.products", Public),
    ("Query.product", Public),
    ("Query.categories", Public),
    ("Query.category", Public),
    ("Query.node", Public),
    ("Query.nodes", Public),
    ("Query.me", Own),
    ("Query.users", Admin),
    // Carts and orders: `cart` and `order` check ownership or the secret token
    // themselves; `orders` lists the viewer's own (all of them for staff).
    ("Query.cart", Public),
    ("Query.myCart", Own),
    ("Query.order", Public),
    ("Query.orders", Own),
    ("Query.salesSummary", Staff),
    ("Query.coupons", Staff),
    // Payments: how to pay (anyone), what went wrong (staff).
    ("Query.paymentConfig", Public),
    ("Query.paymentIssues", Staff),
    ("Query.paymentIssueCounts", Staff),
    ("Query.inventory", Staff),
    ("Query.stockMovements", Staff),
    ("Query.stockLocations", Staff),
    ("Query.searchSynonyms", Staff),
    ("Query.abandonedCarts", Staff),
    ("Query.abandonedCartSummary", Staff),
    ("Query.webhookDeliveries", Staff),
    // Mutations: accounts.
    ("Mutation.accountRegister", Public),
    ("Mutation.tokenCreate", Public),
    ("Mutation.tokenRefresh", Public),
    ("Mutation.tokenRevoke", Public),
    ("Mutation.passwordChange", Own),
    ("Mutation.staffInviteAccept", Public),
    ("Mutation.staffCreate", Admin),
    ("Mutation.staffInvite", Admin),
    ("Mutation.userRoleSet", Admin),
    // Mutations: catalog editing.
    ("Mutation.productCreate", Staff),
    ("Mutation.productUpdate", Staff),
    ("Mutation.productArchive", Staff),
    ("Mutation.variantCreate", Staff),
    ("Mutation.variantUpdate", Staff),
    ("Mutation.categoryCreate", Staff),
    ("Mutation.categoryUpdate", Staff),
    ("Mutation.categoryMove", Staff),
    ("Mutation.searchSynonymCreate", Staff),
    ("Mutation.searchSynonymDelete", Staff),
    // Mutations: carts and checkout (the cart's owner or token holder).
    ("Mutation.cartCreate", Public),
    ("Mutation.cartLinesAdd", Public),
    ("Mutation.cartLinesUpdate", Public),
    ("Mutation.cartLinesRemove", Public),
    ("Mutation.cartReservationExtend", Public),
    ("Mutation.cartCouponApply", Public),
    ("Mutation.cartCouponRemove", Public),
    ("Mutation.cartMerge", Own),
    ("Mutation.checkoutStart", Public),
    ("Mutation.checkoutComplete", Public),
    // Abandoned carts: a recovery link's token is the claim; opting out is your own.
    ("Mutation.cartRecover", Public),
    ("Mutation.cartRemindersUnsubscribe", Public),
    ("Mutation.cartRemindersOptOut", Own),
    // Mutations: order handling and coupons.
    ("Mutation.orderFulfill", Staff),
    ("Mutation.orderShip", Staff),
    ("Mutation.orderMarkDelivered", Staff),
    ("Mutation.orderCancel", Staff),
    ("Mutation.couponCreate", Staff),
    ("Mutation.couponSetActive", Staff),
    // Mutations: payments. Paying checks the order's owner or token; the test
    // gateway's card form checks the client secret.
    ("Mutation.paymentIntentCreate", Public),
    ("Mutation.testPaymentConfirm", Public),
    ("Mutation.testPaymentAuthenticate", Public),
    ("Mutation.paymentRetry", Staff),
    ("Mutation.orderRefund", Staff),
    ("Mutation.paymentIssueResolve", Staff),
    // Mutations: inventory.
    ("Mutation.inventoryAdjust", Staff),
    ("Mutation.inventoryTransfer", Staff),
    ("Mutation.lowStockThresholdSet", Staff),
    // Subscriptions.
    ("Subscription.stockChanged", Public),
    ("Subscription.inventoryEvents", Staff),
    // Checks the order's customer, token or staff itself, like `Query.order`.
    ("Subscription.orderStatusChanged", Public),
    ("Subscription.paymentIssueChanged", Staff),
    // Catalog types: what shoppers see.
    ("Product", Public),
    ("Variant", Public),
    ("Variant.availableQuantity", Public),
    ("Variant.inStock", Public),
    ("Variant.stockLevels", Staff),
    ("Variant.lowStockThreshold", Staff),
    ("Category", Public),
    ("Image", Public),
    ("Attribute", Public),
    ("ProductOption", Public),
    ("PriceRange", Public),
    ("Money", Public),
    ("FacetValue", Public),
    ("AttributeFacet", Public),
    ("ProductFacets", Public),
    ("ProductConnection", Public),
    ("ProductEdge", Public),
    ("SearchInfo", Public),
    ("SearchCorrection", Public),
    ("SearchSynonymUse", Public),
    ("PageInfo", Public),
    ("Node", Public),
    // Accounts types. A `User` is only handed out by guarded entry points (`me`,
    // `users`, staff mutations) or as the caller's own account in a sign-in payload,
    // so the type itself adds no check.
    ("User", Public),
    ("UserConnection", Admin),
    ("UserEdge", Admin),
    ("AuthPayload", Public),
    ("TokenRevokePayload", Public),
    ("PasswordChangePayload", Own),
    ("UserPayload", Admin),
    ("StaffInvitePayload", Admin),
    // Mutation payloads of staff operations.
    ("ProductPayload", Staff),
    ("VariantPayload", Staff),
    ("CategoryPayload", Staff),
    // Search synonyms: handed out only by the staff entry points above.
    ("SearchSynonym", Staff),
    ("SearchSynonymConnection", Staff),
    ("SearchSynonymEdge", Staff),
    ("SearchSynonymPayload", Staff),
    ("SearchSynonymDeletePayload", Staff),
    ("UserError", Public),
    // Commerce types, reachable only through the guarded entry points above.
    ("Cart", Public),
    ("CartLine", Public),
    ("Address", Public),
    ("Totals", Public),
    ("CheckoutProblem", Public),
    ("CheckoutReview", Public),
    ("Order", Public),
    ("Order.paymentIssue", Staff),
    ("OrderLine", Public),
    ("OrderTimelineEvent", Public),
    ("OrderConnection", Own),
    ("OrderEdge", Own),
    ("OrderStatusUpdate", Public),
    ("CartCreatePayload", Public),
    ("CartPayload", Public),
    ("CartHoldsPayload", Public),
    ("HoldShortfall", Public),
    ("CartRecoverPayload", Public),
    ("RecoveryShortfall", Public),
    ("CartRemindersPayload", Public),
    ("AbandonedCart", Staff),
    ("AbandonedCartConnection", Staff),
    ("AbandonedCartEdge", Staff),
    ("AbandonedCartSummary", Staff),
    ("WebhookDelivery", Staff),
    ("WebhookDeliveryConnection", Staff),
    ("WebhookDeliveryEdge", Staff),
    ("CheckoutStartPayload", Public),
    ("CheckoutCompletePayload", Public),
    ("OrderPayload", Staff),
    ("CouponPayload", Staff),
    ("Coupon", Staff),
    ("CouponConnection", Staff),
    ("CouponEdge", Staff),
    ("SalesSummary", Staff),
    ("TopVariant", Staff),
    ("DaySales", Staff),
    // Payment types: attempts are shown to whoever may see the order.
    ("Payment", Public),
    ("Refund", Public),
    ("PaymentConfig", Public),
    ("TestCard", Public),
    ("PaymentIntentPayload", Public),
    ("TestPaymentPayload", Public),
    ("PaymentRetryPayload", Staff),
    ("OrderRefundPayload", Staff),
    ("PaymentIssue", Staff),
    ("PaymentIssueConnection", Staff),
    ("PaymentIssueEdge", Staff),
    ("PaymentIssueCount", Staff),
    ("PaymentIssueUpdate", Staff),
    // Inventory: live availability is public; the rest is handed out only by staff
    // entry points (guarded above), so the types add no check of their own.
    ("StockAvailability", Public),
    ("StockLevel", Staff),
    ("StockLocation", Staff),
    ("LowStockThreshold", Staff),
    ("InventoryItem", Staff),
    ("InventoryItemConnection", Staff),
    ("InventoryItemEdge", Staff),
    ("StockMovement", Staff),
    ("StockMovementConnection", Staff),
    ("StockMovementEdge", Staff),
    ("MovementActor", Staff),
    ("MovementReference", Staff),
    ("InventoryAdjustPayload", Staff),
    ("InventoryTransferPayload", Staff),
    ("LowStockThresholdPayload", Staff),
];

fn table() -> &'static HashMap<&'static str, Access> {
    static TABLE: OnceLock<HashMap<&'static str, Access>> = OnceLock::new();
    TABLE.get_or_init(|| POLICY.iter().copied().collect())
}

/// The access of `Type.field`: its own entry, else its type's default.
pub fn classify(type_name: &str, field: &str) -> Option<Access> {
    let table = table();
    table.get(format!("{type_name}.{field}").as_str()).or_else(|| table.get(type_name)).copied()
}

/// The guard for the field at `coordinate` (`Type.field`), by its classification. An
/// unclassified coordinate is treated as admin-only (deny by default).
pub fn allow(coordinate: &'static str) -> Allow {
    let access = coordinate.split_once('.').and_then(|(t, f)| classify(t, f)).unwrap_or_else(|| {
        tracing::error!(coordinate, "field missing from the access policy; treating it as admin-only");
        Admin
    });
    Allow(access)
}

/// Checks the viewer against an access level.
pub struct Allow(pub Access);

impl Guard for Allow {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
        check(self.0, &viewer).map_err(|e| async_graphql::ErrorExtensions::extend(&ApiError(e)))
    }
}

/// Whether `viewer` may use something classified `access`.
pub fn check(access: Access, viewer: &Viewer) -> Result<(), Error> {
    let needed = match access {
        Public => return Ok(()),
        Own => Role::Customer,
        Staff => Role::Staff,
        Admin => Role::Admin,
    };
    match viewer.role() {
        None => Err(Error::unauthenticated("sign in to do this (send `Authorization: Bearer <accessToken>`)")),
        Some(role) if role >= needed => Ok(()),
        Some(_) => Err(Error::forbidden(match access {
            Admin => "only admins may do this",
            _ => "only staff may do this",
        })),
    }
}

/// The viewer of the current request.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> &'a Viewer {
    static ANONYMOUS: Viewer = Viewer::Anonymous;
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}
