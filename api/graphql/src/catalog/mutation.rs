//! Catalog editing for staff. Every update names the `expectedVersion` it saw; a stale
//! one gets VERSION_CONFLICT with the object's current state in the payload, and
//! nothing changes. Successful edits clear the response cache.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::types::{Category, Product, ProductStatus, Variant, VariantStatus};
use crate::access::allow;
use crate::cache::ResponseCache;
use crate::error::{UserError, WithUserErrors, user_error, with_user_errors};
use crate::ids::{NodeType, row_id, row_ids};
use stockade_domain::catalog::{self, CatalogEditor, CatalogService};
use stockade_domain::error::Error;

#[derive(InputObject)]
pub struct ProductCreateInput {
    pub name: String,
    /// Derived from the name when omitted.
    pub slug: Option<String>,
    #[graphql(default)]
    pub description: String,
    #[graphql(default)]
    pub brand: String,
    #[graphql(default)]
    pub tags: Vec<String>,
    /// DRAFT by default.
    pub status: Option<ProductStatus>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
}

/// Omitted fields stay as they are.
#[derive(InputObject)]
pub struct ProductUpdateInput {
    pub id: ID,
    /// The `version` you last saw.
    pub expected_version: i32,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub tags: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
    /// Replaces the product's categories.
    pub category_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
#[graphql(name = "AttributeInput")]
pub struct AttributeInput {
    pub name: String,
    pub value: String,
}

#[derive(InputObject)]
pub struct VariantCreateInput {
    pub product_id: ID,
    pub sku: String,
    /// Derived from the attribute values ("Navy / M") when omitted.
    pub title: Option<String>,
    #[graphql(default)]
    pub attributes: Vec<AttributeInput>,
    /// In minor units.
    pub price: i32,
    pub compare_at_price: Option<i32>,
    pub position: Option<i32>,
}

/// Omitted fields stay as they are; `compareAtPrice: null` removes it.
#[derive(InputObject)]
pub struct VariantUpdateInput {
    pub id: ID,
    pub expected_version: i32,
    pub sku: Option<String>,
    pub title: Option<String>,
    pub attributes: Option<Vec<AttributeInput>>,
    pub price: Option<i32>,
    pub compare_at_price: MaybeUndefined<i32>,
    pub status: Option<VariantStatus>,
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct CategoryCreateInput {
    pub name: String,
    pub slug: Option<String>,
    #[graphql(default)]
    pub description: String,
    /// Top level when omitted.
    pub parent_id: Option<ID>,
    pub position: Option<i32>,
}

#[derive(InputObject)]
pub struct CategoryUpdateInput {
    pub id: ID,
    pub expected_version: i32,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
}

#[derive(SimpleObject, Default)]
pub struct ProductPayload {
    /// The product after the change; with VERSION_CONFLICT, as it is now.
    pub product: Option<Product>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct VariantPayload {
    /// The variant after the change; with VERSION_CONFLICT, as it is now.
    pub variant: Option<Variant>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CategoryPayload {
    /// The category after the change; with VERSION_CONFLICT, as it is now.
    pub category: Option<Category>,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(ProductPayload, VariantPayload, CategoryPayload);

fn editor<'a>(ctx: &'a Context<'_>) -> &'a CatalogEditor {
    ctx.data_unchecked::<CatalogEditor>()
}

/// A payload for `result`: the object on success (and the cache cleared), else the
/// user error plus the object as it is now (for conflicts), fetched by `current`.
async fn payload<T, P, F, Fut>(ctx: &Context<'_>, result: Result<T, Error>, input: Option<&str>, wrap: fn(T) -> P, current: F) -> Result<P>
where
    P: Default + WithUserErrors,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<P>>,
{
    match result {
        Ok(value) => {
            ctx.data_unchecked::<std::sync::Arc<ResponseCache>>().clear();
            Ok(wrap(value))
        }
        Err(err) => {
            let conflict = matches!(err, Error::VersionConflict { .. });
            let error = user_error(err, input)?;
            let mut out = if conflict { current().await.unwrap_or_default() } else { P::default() };
            out.user_errors().push(error);
            Ok(out)
        }
    }
}

async fn current_product(ctx: &Context<'_>, id: Option<i64>) -> Option<ProductPayload> {
    let id = id?;
    // Staff only (the editing mutations are): every status.
    let all = super::visibility(ctx);
    let found = ctx.data_unchecked::<CatalogService>().products_by_ids(&[id], &all).await.ok()?;
    found.into_values().next().map(|p| ProductPayload { product: Some(Product::new(p)), user_errors: Vec::new() })
}

async fn current_variant(ctx: &Context<'_>, id: Option<i64>) -> Option<VariantPayload> {
    let id = id?;
    let found = ctx.data_unchecked::<CatalogService>().variants_by_ids(&[id]).await.ok()?;
    found.into_values().next().map(|v| VariantPayload { variant: Some(Variant::new(v)), user_errors: Vec::new() })
}

async fn current_category(ctx: &Context<'_>, id: Option<i64>) -> Option<CategoryPayload> {
    let id = id?;
    let found = ctx.data_unchecked::<CatalogService>().categories_by_ids(&[id]).await.ok()?;
    found.into_values().next().map(|c| CategoryPayload { category: Some(Category(c)), user_errors: Vec::new() })
}

fn product_payload(p: catalog::Product) -> ProductPayload {
    ProductPayload { product: Some(Product::new(p)), user_errors: Vec::new() }
}

fn variant_payload(v: catalog::Variant) -> VariantPayload {
    VariantPayload { variant: Some(Variant::new(v)), user_errors: Vec::new() }
}

fn category_payload(c: catalog::Category) -> CategoryPayload {
    CategoryPayload { category: Some(Category(c)), user_errors: Vec::new() }
}

fn attributes(input: Vec<AttributeInput>) -> Vec<(String, String)> {
    input.into_iter().map(|a| (a.name, a.value)).collect()
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Creates a product (DRAFT unless `status` says otherwise).
    #[graphql(guard = "allow(\"Mutation.productCreate\")")]
    async fn product_create(&self, ctx: &Context<'_>, input: ProductCreateInput) -> Result<ProductPayload> {
        let result = async {
            let category_ids = row_ids(&input.category_ids, NodeType::Category, "categoryIds")?;
            editor(ctx)
                .create_product(catalog::NewProduct {
                    name: input.name,
                    slug: input.slug,
                    description: input.description,
                    brand: input.brand,
                    tags: input.tags,
                    status: input.status.map(Into::into),
                    category_ids,
                })
                .await
        }
        .await;
        payload(ctx, result, Some("input"), product_payload, || async { None }).await
    }

    /// Changes a product if `expectedVersion` is current.
    #[graphql(guard = "allow(\"Mutation.productUpdate\")")]
    async fn product_update(&self, ctx: &Context<'_>, input: ProductUpdateInput) -> Result<ProductPayload> {
        let product_id = row_id(&input.id, NodeType::Product, "id");
        let pid = product_id.as_ref().ok().copied();
        let result = async {
            let product_id = product_id?;
            let category_ids = input.category_ids.as_deref().map(|raw| row_ids(raw, NodeType::Category, "categoryIds")).transpose()?;
            let changes = catalog::ProductChanges {
                name: input.name,
                slug: input.slug,
                description: input.description,
                brand: input.brand,
                tags: input.tags,
                status: input.status.map(Into::into),
                category_ids,
            };
            editor(ctx).update_product(product_id, i64::from(input.expected_version), changes).await
        }
        .await;
        payload(ctx, result, Some("input"), product_payload, || current_product(ctx, pid)).await
    }

    /// Archives a product: shoppers no longer see it (staff still do).
    #[graphql(guard = "allow(\"Mutation.productArchive\")")]
    async fn product_archive(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ProductPayload> {
        let product_id = row_id(&id, NodeType::Product, "id");
        let pid = product_id.as_ref().ok().copied();
        let result = match product_id {
            Ok(pid) => editor(ctx).archive_product(pid, i64::from(expected_version)).await,
            Err(e) => Err(e),
        };
        payload(ctx, result, None, product_payload, || current_product(ctx, pid)).await
    }

    /// Adds a variant (SKU) to a product.
    #[graphql(guard = "allow(\"Mutation.variantCreate\")")]
    async fn variant_create(&self, ctx: &Context<'_>, input: VariantCreateInput) -> Result<VariantPayload> {
        let result = async {
            let product_id = row_id(&input.product_id, NodeType::Product, "productId")?;
            editor(ctx)
                .create_variant(catalog::NewVariant {
                    product_id,
                    sku: input.sku,
                    title: input.title,
                    attributes: attributes(input.attributes),
                    price: i64::from(input.price),
                    compare_at_price: input.compare_at_price.map(i64::from),
                    position: input.position,
                })
                .await
        }
        .await;
        payload(ctx, result, Some("input"), variant_payload, || async { None }).await
    }

    /// Changes a variant (price, attributes, status, ...) if `expectedVersion` is current.
    #[graphql(guard = "allow(\"Mutation.variantUpdate\")")]
    async fn variant_update(&self, ctx: &Context<'_>, input: VariantUpdateInput) -> Result<VariantPayload> {
        let variant_id = row_id(&input.id, NodeType::Variant, "id");
        let vid = variant_id.as_ref().ok().copied();
        let result = async {
            let variant_id = variant_id?;
            let changes = catalog::VariantChanges {
                sku: input.sku,
                title: input.title,
                attributes: input.attributes.map(attributes),
                price: input.price.map(i64::from),
                compare_at_price: match input.compare_at_price {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(v) => Some(Some(i64::from(v))),
                },
                status: input.status.map(Into::into),
                position: input.position,
            };
            editor(ctx).update_variant(variant_id, i64::from(input.expected_version), changes).await
        }
        .await;
        payload(ctx, result, Some("input"), variant_payload, || current_variant(ctx, vid)).await
    }

    /// Creates a category, at the top level or under `parentId`.
    #[graphql(guard = "allow(\"Mutation.categoryCreate\")")]
    async fn category_create(&self, ctx: &Context<'_>, input: CategoryCreateInput) -> Result<CategoryPayload> {
        let result = async {
            let parent_id = input.parent_id.as_ref().map(|p| row_id(p, NodeType::Category, "parentId")).transpose()?;
            editor(ctx)
                .create_category(catalog::NewCategory {
                    name: input.name,
                    slug: input.slug,
                    description: input.description,
                    parent_id,
                    position: input.position,
                })
                .await
        }
        .await;
        payload(ctx, result, Some("input"), category_payload, || async { None }).await
    }

    /// Changes a category if `expectedVersion` is current.
    #[graphql(guard = "allow(\"Mutation.categoryUpdate\")")]
    async fn category_update(&self, ctx: &Context<'_>, input: CategoryUpdateInput) -> Result<CategoryPayload> {
        let category_id = row_id(&input.id, NodeType::Category, "id");
        let cid = category_id.as_ref().ok().copied();
        let result = async {
            let category_id = category_id?;
            let changes =
                catalog::CategoryChanges { name: input.name, slug: input.slug, description: input.description, position: input.position };
            editor(ctx).update_category(category_id, i64::from(input.expected_version), changes).await
        }
        .await;
        payload(ctx, result, Some("input"), category_payload, || current_category(ctx, cid)).await
    }

    /// Moves a category and its sub-categories under `parentId` (top level without).
    #[graphql(guard = "allow(\"Mutation.categoryMove\")")]
    async fn category_move(&self, ctx: &Context<'_>, id: ID, parent_id: Option<ID>, expected_version: i32) -> Result<CategoryPayload> {
        let category_id = row_id(&id, NodeType::Category, "id");
        let cid = category_id.as_ref().ok().copied();
        let result = async {
            let category_id = category_id?;
            let parent = parent_id.as_ref().map(|p| row_id(p, NodeType::Category, "parentId")).transpose()?;
            editor(ctx).move_category(category_id, i64::from(expected_version), parent).await
        }
        .await;
        payload(ctx, result, None, category_payload, || current_category(ctx, cid)).await
    }
}
