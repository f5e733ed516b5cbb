//! Cart and checkout mutations. Cart edits name the cart's `expectedVersion` (two tabs
//! editing one cart: the stale one gets VERSION_CONFLICT with the current cart).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::cart_types::{AddressInput, Cart, CheckoutProblem, CheckoutReview};
use super::order_types::Order;
use super::{actor_of, cart_access};
use crate::access::{allow, viewer};
use crate::error::{ApiError, UserError, failed, with_user_errors};
use crate::ids::{NodeType, row_id, row_ids};
use crate::limits::limit;
use stockade_domain::checkout::{CartAccess, CartService, CheckoutInput, Completion, LineChange, line_field};
use stockade_domain::error::Error;
use stockade_domain::ratelimit::Tier;

#[derive(InputObject)]
pub struct CartLineInput {
    pub variant_id: ID,
    /// Units to add (cartLinesAdd) or the new quantity, 0 removing the line
    /// (cartLinesUpdate).
    pub quantity: i32,
}

/// A guest cart to merge into the signed-in customer's cart.
#[derive(InputObject)]
pub struct GuestCartInput {
    pub id: ID,
    pub token: String,
}

#[derive(SimpleObject, Default)]
pub struct CartCreatePayload {
    pub cart: Option<Cart>,
    /// Guest carts only: keep it secret and send it back with every cart call. Shown once.
    pub cart_token: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CartPayload {
    /// The cart after the change; with VERSION_CONFLICT, as it is now.
    pub cart: Option<Cart>,
    pub user_errors: Vec<UserError>,
}

/// A line whose stock could not be held again.
#[derive(SimpleObject)]
pub struct HoldShortfall {
    pub variant_id: ID,
    /// Units available now.
    pub available: i32,
}

#[derive(SimpleObject, Default)]
pub struct CartHoldsPayload {
    pub cart: Option<Cart>,
    /// Lines that could not be held again (not enough stock left).
    pub shortfalls: Vec<HoldShortfall>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CheckoutStartPayload {
    pub review: Option<CheckoutReview>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CheckoutCompletePayload {
    /// The order, in PENDING_PAYMENT until paid.
    pub order: Option<Order>,
    /// Guests: keep it to see the order (`order(id, token)`). The same key always gets
    /// the same token.
    pub order_token: Option<String>,
    /// Why no order was created (nothing changed).
    pub problems: Vec<CheckoutProblem>,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(CartCreatePayload, CartPayload, CartHoldsPayload, CheckoutStartPayload, CheckoutCompletePayload);

fn carts<'a>(ctx: &'a Context<'_>) -> &'a CartService {
    ctx.data_unchecked::<CartService>()
}

fn line_changes(input: &[CartLineInput]) -> Result<Vec<LineChange>, Error> {
    input
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let variant_id = row_id(&l.variant_id, NodeType::Variant, &line_field(i, "variantId"))?;
            Ok(LineChange { variant_id, quantity: i64::from(l.quantity) })
        })
        .collect()
}

/// Charges checkout-like work to the client's IP and account.
pub(crate) async fn charge(ctx: &Context<'_>) -> Result<()> {
    let account = viewer(ctx).signed_in().map(|s| format!("user:{}", s.user_id));
    limit(ctx, Tier::Checkout, account.as_deref()).await
}

/// The payload for a cart edit: the cart, or the user error (with the current cart
/// on a version conflict).
async fn cart_payload(
    ctx: &Context<'_>,
    access: Option<&CartAccess>,
    result: Result<stockade_domain::checkout::Cart, Error>,
) -> Result<CartPayload> {
    match result {
        Ok(cart) => Ok(CartPayload { cart: Some(Cart(cart)), user_errors: Vec::new() }),
        Err(err) => {
            let conflict = matches!(err, Error::VersionConflict { .. });
            let mut payload: CartPayload = failed(err, None)?;
            if let (true, Some(access)) = (conflict, access) {
                payload.cart = carts(ctx).get(access).await.ok().map(Cart);
            }
            Ok(payload)
        }
    }
}

/// One cart edit: claims the cart (id, guest token, customer), runs `edit` on it and
/// answers with the cart, or with the refusal (and the cart as it is now when the
/// refusal is a version conflict).
async fn edit_cart(
    ctx: &Context<'_>,
    cart_id: &ID,
    cart_token: Option<String>,
    edit: impl AsyncFnOnce(&CartService, &CartAccess) -> Result<stockade_domain::checkout::Cart, Error>,
) -> Result<CartPayload> {
    let access = match cart_access(ctx, cart_id, cart_token) {
        Ok(a) => a,
        Err(e) => return failed(e, None),
    };
    let result = edit(carts(ctx), &access).await;
    cart_payload(ctx, Some(&access), result).await
}

#[derive(Default)]
pub struct CartMutation;

#[Object]
impl CartMutation {
    /// A new cart. Guests get a secret `cartToken`; a signed-in customer gets their
    /// active cart (created if they have none). `lines` are added and held at once.
    #[graphql(guard = "allow(\"Mutation.cartCreate\")")]
    async fn cart_create(&self, ctx: &Context<'_>, lines: Option<Vec<CartLineInput>>) -> Result<CartCreatePayload> {
        charge(ctx).await?;
        let viewer = viewer(ctx);
        let customer = viewer.signed_in().map(|s| s.user_id);
        let changes = match line_changes(lines.as_deref().unwrap_or_default()) {
            Ok(changes) => changes,
            Err(e) => return failed(e, None),
        };
        // All or nothing: a line that cannot be had leaves no cart behind.
        match carts(ctx).create(customer, &changes, actor_of(viewer)).await {
            Ok((cart, token)) => Ok(CartCreatePayload { cart: Some(Cart(cart)), cart_token: token, user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }

    /// Adds units to the cart, holding their stock (OUT_OF_STOCK changes nothing).
    #[graphql(guard = "allow(\"Mutation.cartLinesAdd\")")]
    async fn cart_lines_add(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        expected_version: i32,
        lines: Vec<CartLineInput>,
    ) -> Result<CartPayload> {
        charge(ctx).await?;
        let actor = actor_of(viewer(ctx));
        edit_cart(ctx, &cart_id, cart_token, async |carts, access| {
            carts.add_lines(access, i64::from(expected_version), &line_changes(&lines)?, actor).await
        })
        .await
    }

    /// Sets line quantities (0 removes a line), holding or releasing stock.
    #[graphql(guard = "allow(\"Mutation.cartLinesUpdate\")")]
    async fn cart_lines_update(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        expected_version: i32,
        lines: Vec<CartLineInput>,
    ) -> Result<CartPayload> {
        let actor = actor_of(viewer(ctx));
        edit_cart(ctx, &cart_id, cart_token, async |carts, access| {
            carts.update_lines(access, i64::from(expected_version), &line_changes(&lines)?, actor).await
        })
        .await
    }

    /// Removes lines (by variant) and releases their stock.
    #[graphql(guard = "allow(\"Mutation.cartLinesRemove\")")]
    async fn cart_lines_remove(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        expected_version: i32,
        variant_ids: Vec<ID>,
    ) -> Result<CartPayload> {
        let actor = actor_of(viewer(ctx));
        edit_cart(ctx, &cart_id, cart_token, async |carts, access| {
            let ids = row_ids(&variant_ids, NodeType::Variant, "variantIds")?;
            carts.remove_lines(access, i64::from(expected_version), &ids, actor).await
        })
        .await
    }

    /// Renews the cart's holds, and holds lapsed lines again where stock allows.
    #[graphql(guard = "allow(\"Mutation.cartReservationExtend\")")]
    async fn cart_reservation_extend(&self, ctx: &Context<'_>, cart_id: ID, cart_token: Option<String>) -> Result<CartHoldsPayload> {
        let access = match cart_access(ctx, &cart_id, cart_token) {
            Ok(a) => a,
            Err(e) => return failed(e, None),
        };
        match carts(ctx).extend_holds(&access, actor_of(viewer(ctx))).await {
            Ok((cart, short)) => Ok(CartHoldsPayload {
                cart: Some(Cart(cart)),
                shortfalls: short
                    .into_iter()
                    .map(|(v, available)| HoldShortfall {
                        variant_id: NodeType::Variant.id(v),
                        available: i32::try_from(available).unwrap_or(0),
                    })
                    .collect(),
                user_errors: Vec::new(),
            }),
            Err(e) => failed(e, None),
        }
    }

    /// Applies a coupon code to the cart.
    #[graphql(guard = "allow(\"Mutation.cartCouponApply\")")]
    async fn cart_coupon_apply(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        expected_version: i32,
        code: String,
    ) -> Result<CartPayload> {
        edit_cart(ctx, &cart_id, cart_token, async |carts, access| carts.apply_coupon(access, i64::from(expected_version), &code).await)
            .await
    }

    /// Removes the cart's coupon.
    #[graphql(guard = "allow(\"Mutation.cartCouponRemove\")")]
    async fn cart_coupon_remove(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        expected_version: i32,
    ) -> Result<CartPayload> {
        edit_cart(ctx, &cart_id, cart_token, async |carts, access| carts.remove_coupon(access, i64::from(expected_version)).await).await
    }

    /// Merges a guest cart into the signed-in customer's cart (quantities added, holds
    /// carried over).
    #[graphql(guard = "allow(\"Mutation.cartMerge\")")]
    async fn cart_merge(&self, ctx: &Context<'_>, guest_cart: GuestCartInput) -> Result<CartPayload> {
        let Some(who) = viewer(ctx).signed_in().cloned() else {
            return Err(async_graphql::ErrorExtensions::extend(&ApiError(Error::unauthenticated("sign in to merge a cart"))));
        };
        let result = match cart_access(ctx, &guest_cart.id, Some(guest_cart.token)) {
            Ok(access) => carts(ctx).merge(&access, who.user_id, actor_of(viewer(ctx))).await,
            Err(e) => Err(e),
        };
        cart_payload(ctx, None, result).await
    }

    /// Records email and shipping address, firms the holds, and reviews the cart:
    /// totals and every problem to fix before `checkoutComplete` (out of stock, price
    /// changes to accept, unavailable items, minimum order, coupon, address).
    #[graphql(guard = "allow(\"Mutation.checkoutStart\")")]
    async fn checkout_start(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        email: Option<String>,
        shipping_address: Option<AddressInput>,
        #[graphql(default)] accept_price_changes: bool,
    ) -> Result<CheckoutStartPayload> {
        let access = match cart_access(ctx, &cart_id, cart_token) {
            Ok(a) => a,
            Err(e) => return failed(e, None),
        };
        let input = CheckoutInput { email, shipping_address: shipping_address.map(Into::into), accept_price_changes };
        match carts(ctx).checkout_start(&access, &input, actor_of(viewer(ctx))).await {
            Ok(review) => {
                Ok(CheckoutStartPayload { review: Some(CheckoutReview(review, carts(ctx).payment_window())), user_errors: Vec::new() })
            }
            Err(e) => failed(e, None),
        }
    }

    /// Creates the order (PENDING_PAYMENT) from the cart and empties the cart. Send a
    /// fresh `idempotencyKey` (a UUID) per checkout and reuse it on retries: the same
    /// key always returns the same order; a key already used for another cart is
    /// IDEMPOTENCY_KEY_REUSED. Problems (see `checkoutStart`) leave everything as it was.
    #[graphql(guard = "allow(\"Mutation.checkoutComplete\")")]
    async fn checkout_complete(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        cart_token: Option<String>,
        idempotency_key: String,
    ) -> Result<CheckoutCompletePayload> {
        charge(ctx).await?;
        let access = match cart_access(ctx, &cart_id, cart_token) {
            Ok(a) => a,
            Err(e) => return failed(e, None),
        };
        let orders = ctx.data_unchecked::<stockade_domain::orders::OrderService>();
        match carts(ctx).complete(&access, &idempotency_key, orders, actor_of(viewer(ctx))).await {
            Ok(Completion::Ordered { order, token, .. }) => {
                let guest = order.customer_id.is_none();
                Ok(CheckoutCompletePayload {
                    order: Some(Order(*order)),
                    order_token: guest.then_some(token),
                    problems: Vec::new(),
                    user_errors: Vec::new(),
                })
            }
            Ok(Completion::NotReady(review)) => Ok(CheckoutCompletePayload {
                problems: review.problems.iter().cloned().map(CheckoutProblem).collect(),
                user_errors: vec![UserError::new(
                    stockade_domain::error::ErrorCode::Invalid,
                    Some("cartId"),
                    "the cart cannot be ordered yet; see `problems`",
                )],
                ..Default::default()
            }),
            Err(e) => failed(e, None),
        }
    }
}
