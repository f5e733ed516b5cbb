//! Catalog types as storefront clients see them, and `StockLevel`: a variant lists its
//! stock levels and a level names its variant, so the two live in one file.

use async_graphql::resolver_utils::enum_value;
use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Lookahead, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::loaders::{
    CatalogLoader, CategoriesOfProduct, CategoryById, ChildrenOfCategory, ImagesOfProduct, ProductById, VariantById, VariantsOfProduct,
};
use crate::access::allow;
use crate::batch::Batcher;
use crate::cache::StockField;
use crate::error::ResultExt;
use crate::ids::{CompositeType, NodeType};
use crate::immediate::{Immediate, Now, Out, Selected};
use crate::int::int;
use crate::money::Money;
use crate::stock::types::{StockLocation, location};
use crate::stock::variant_fields::{self, StockFlag, StockQuantity};
use stockade_domain::catalog;
use stockade_domain::inventory::StockLevel as Level;

pub(crate) fn loader<'a>(ctx: &'a Context<'_>) -> &'a Batcher<CatalogLoader> {
    ctx.data_unchecked::<Batcher<CatalogLoader>>()
}

/// Whether a product can be bought.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::catalog::ProductStatus")]
pub enum ProductStatus {
    /// Listed and for sale.
    Active,
    /// Being prepared; visible to staff only.
    Draft,
    /// No longer sold; visible to staff only.
    Archived,
}

/// Whether a variant can be bought.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::catalog::VariantStatus")]
pub enum VariantStatus {
    Active,
    /// No longer sold; visible to staff only.
    Archived,
}

/// A product: what a shopper browses. What they buy is one of its `variants`, loaded
/// with the product when a list of products selects them (see [`with_variants`]).
pub struct Product(pub catalog::Product, Option<Vec<Variant>>);

impl Product {
    pub fn new(product: catalog::Product) -> Self {
        Product(product, None)
    }

    /// Its variants: those loaded with it, or loaded now.
    async fn load_variants(&self, ctx: &Context<'_>) -> Result<Vec<Variant>> {
        if let Some(variants) = &self.1 {
            return Ok(variants.clone());
        }
        let variants = loader(ctx).load_one(VariantsOfProduct(self.0.id)).await.gql()?.unwrap_or_default();
        // Stock asked for: load it for the whole list now (one wave over every product of
        // the page), so each variant's field answers at once instead of awaiting a load
        // of its own.
        if stock_selected(&ctx.look_ahead()) {
            let ids: Vec<i64> = variants.iter().map(|v| v.id).collect();
            let available = variant_fields::available_of(ctx, &ids).await?;
            return Ok(variants.into_iter().map(|v| with_stock(v, &available)).collect());
        }
        Ok(variants.into_iter().map(Variant::new).collect())
    }
}

/// Whether a selection of variants shows their stock.
fn stock_selected(variants: &Lookahead<'_>) -> bool {
    variants.field("availableQuantity").exists() || variants.field("inStock").exists()
}

fn with_stock(variant: catalog::Variant, available: &HashMap<i64, i64>) -> Variant {
    let n = available.get(&variant.id).copied().unwrap_or(0);
    Variant(variant, Some(n))
}

/// `products` with their variants (and the variants' stock, if `variants` selects it)
/// loaded for all of them at once, when `variants` is selected at all: one statement
/// each, and every product of the list can then be answered in one walk.
pub(crate) async fn with_variants(ctx: &Context<'_>, variants: Lookahead<'_>, products: Vec<catalog::Product>) -> Result<Vec<Product>> {
    if !variants.exists() || products.is_empty() {
        return Ok(products.into_iter().map(Product::new).collect());
    }
    // Every key is at hand: loaded at once, not through a wave.
    let keys: Vec<VariantsOfProduct> = products.iter().map(|p| VariantsOfProduct(p.id)).collect();
    let mut found = loader(ctx).load_all(&keys).await.gql()?;
    let stock = stock_selected(&variants);
    let available = if stock {
        let ids: Vec<i64> = found.values().flatten().map(|v| v.id).collect();
        variant_fields::available_now(ctx, &ids).await?
    } else {
        HashMap::new()
    };
    Ok(products
        .into_iter()
        .map(|p| {
            let list = found.remove(&VariantsOfProduct(p.id)).unwrap_or_default();
            let list = list.into_iter().map(|v| if stock { with_stock(v, &available) } else { Variant::new(v) }).collect();
            Product(p, Some(list))
        })
        .collect())
}

#[Object]
impl Product {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::Product.id(self.0.id)
    }
    /// URL-friendly unique name, e.g. `oxford-button-down-shirt`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Plain-text description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn brand(&self) -> &str {
        &self.0.brand
    }
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    async fn status(&self) -> ProductStatus {
        self.0.status.into()
    }
    /// Lowest and highest price among the variants.
    async fn price_range(&self) -> PriceRange {
        PriceRange { min: Money(self.0.price_min), max: Money(self.0.price_max) }
    }
    /// Images in display order; the first is the main one.
    #[graphql(complexity = "10 * child_complexity")]
    async fn images(&self, ctx: &Context<'_>) -> Result<Vec<Image>> {
        let images = loader(ctx).load_one(ImagesOfProduct(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(images.into_iter().map(Image).collect())
    }
    /// The main image, if any.
    async fn featured_image(&self, ctx: &Context<'_>) -> Result<Option<Image>> {
        let images = loader(ctx).load_one(ImagesOfProduct(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(images.into_iter().next().map(Image))
    }
    /// Categories the product is listed in.
    #[graphql(complexity = "5 * child_complexity")]
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let cats = loader(ctx).load_one(CategoriesOfProduct(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(cats.into_iter().map(Category).collect())
    }
    /// The variants (SKUs) a shopper chooses between, in display order.
    #[graphql(complexity = "10 * child_complexity")]
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<Now<Variant>>> {
        Ok(self.load_variants(ctx).await?.into_iter().map(Now).collect())
    }
    /// The choices the variants differ by (e.g. color and size) with their values in
    /// display order, for building option pickers.
    async fn options(&self, ctx: &Context<'_>) -> Result<Vec<ProductOption>> {
        match &self.1 {
            Some(variants) => Ok(options_of(variants.iter().map(|v| &v.0))),
            None => {
                let variants = loader(ctx).load_one(VariantsOfProduct(self.0.id)).await.gql()?.unwrap_or_default();
                Ok(options_of(variants.iter()))
            }
        }
    }
    /// Incremented on every edit; send it back as `expectedVersion` when editing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The options of a product with `variants`, in the order they first appear.
fn options_of<'v>(variants: impl Iterator<Item = &'v catalog::Variant>) -> Vec<ProductOption> {
    let mut options: Vec<ProductOption> = Vec::new();
    for attr in variants.flat_map(|v| v.attributes.iter()) {
        let idx = match options.iter().position(|o| o.name == attr.name) {
            Some(i) => i,
            None => {
                options.push(ProductOption { name: attr.name.clone(), values: Vec::new() });
                options.len() - 1
            }
        };
        if !options[idx].values.contains(&attr.value) {
            options[idx].values.push(attr.value.clone());
        }
    }
    options
}

/// A product's own fields answer at once, and its variants and options when they were
/// loaded with it; images and categories (loaders) do not.
impl Immediate for Product {
    const TYPE: &'static str = "Product";

    fn write_field<'q>(&self, name: &str, selected: &Selected<'q>, out: &mut Out<'q>) -> Option<()> {
        let p = &self.0;
        match name {
            "id" => out.str(&NodeType::Product.id(p.id).0),
            "slug" => out.str(&p.slug),
            "name" => out.str(&p.name),
            "description" => out.str(&p.description),
            "brand" => out.str(&p.brand),
            "tags" => out.strs(p.tags.iter().map(String::as_str)),
            "status" => out.value(&enum_value(ProductStatus::from(p.status)))?,
            "priceRange" => out.object(&PriceRange { min: Money(p.price_min), max: Money(p.price_max) }, selected)?,
            "version" => out.int(p.version.into()),
            "variants" => out.list(self.1.as_ref()?, selected)?,
            "options" => out.list(&options_of(self.1.as_ref()?.iter().map(|v| &v.0)), selected)?,
            _ => return None,
        }
        Some(())
    }
}

impl Immediate for PriceRange {
    const TYPE: &'static str = "PriceRange";

    fn write_field<'q>(&self, name: &str, selected: &Selected<'q>, out: &mut Out<'q>) -> Option<()> {
        match name {
            "min" => out.object(&self.min, selected),
            "max" => out.object(&self.max, selected),
            _ => None,
        }
    }
}

impl Immediate for ProductOption {
    const TYPE: &'static str = "ProductOption";

    fn write_field<'q>(&self, name: &str, _: &Selected<'q>, out: &mut Out<'q>) -> Option<()> {
        match name {
            "name" => out.str(&self.name),
            "values" => out.strs(self.values.iter().map(String::as_str)),
            _ => return None,
        }
        Some(())
    }
}

/// One choice a product's variants differ by, e.g. `color` with `["Navy", "White"]`.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// The lowest and highest price of a product's variants.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct PriceRange {
    pub min: Money,
    pub max: Money,
}

/// A sellable item (SKU): one combination of a product's options, with its available
/// stock when that was loaded for a whole list of variants at once (see
/// `Product.variants`).
#[derive(Clone)]
pub struct Variant(pub catalog::Variant, Option<i64>);

impl Variant {
    pub fn new(variant: catalog::Variant) -> Self {
        Variant(variant, None)
    }

    /// Units available: loaded with the variant's list, or on its own.
    async fn available(&self, ctx: &Context<'_>) -> Result<i64> {
        match self.1 {
            Some(n) => Ok(n),
            None => variant_fields::available_units(ctx, self.0.id).await,
        }
    }
}

#[Object]
impl Variant {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::Variant.id(self.0.id)
    }
    /// Stock keeping unit, unique across the shop.
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    /// e.g. `Navy / M`.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Attribute values, e.g. color and size, in display order.
    async fn attributes(&self) -> Vec<Attribute> {
        self.0.attributes.iter().map(|a| Attribute { name: a.name.clone(), value: a.value.clone() }).collect()
    }
    /// The price now.
    async fn price(&self) -> Money {
        Money(self.0.price)
    }
    /// The price before a markdown, when on sale.
    async fn compare_at_price(&self) -> Option<Money> {
        self.0.compare_at_price.map(Money)
    }
    /// Shoppers only ever see ACTIVE variants.
    async fn status(&self) -> VariantStatus {
        self.0.status.into()
    }
    /// Incremented on every edit; send it back as `expectedVersion` when editing.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The product this variant belongs to.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loader(ctx).load_one(ProductById(self.0.product_id)).await.gql()?.map(Product::new))
    }
    /// Units you can buy now, over all locations (units held in carts and checkouts
    /// excluded). A cached answer that shows it is dropped as soon as the variant's
    /// stock changes; HTTP caches may keep it 2 s. Subscribe to `stockChanged` for live
    /// values.
    #[graphql(cache_control(max_age = 2))]
    async fn available_quantity(&self, ctx: &Context<'_>) -> Result<StockQuantity> {
        Ok(StockQuantity { variant_id: self.0.id, available: self.available(ctx).await? })
    }
    /// Whether any unit can be bought now (`availableQuantity > 0`).
    #[graphql(cache_control(max_age = 2))]
    async fn in_stock(&self, ctx: &Context<'_>) -> Result<StockFlag> {
        Ok(StockFlag { variant_id: self.0.id, available: self.available(ctx).await? })
    }
    /// Staff: stock per location, with the versions `inventoryAdjust` expects.
    /// Locations where the variant was never stocked are absent (version 0 there).
    #[graphql(guard = "allow(\"Variant.stockLevels\")", cache_control(no_cache), complexity = "5 * child_complexity")]
    async fn stock_levels(&self, ctx: &Context<'_>) -> Result<Vec<StockLevel>> {
        Ok(variant_fields::stock_levels(ctx, self.0.id).await?.into_iter().map(StockLevel).collect())
    }
    /// Staff: the low-stock threshold in force (the variant's own or the default).
    #[graphql(guard = "allow(\"Variant.lowStockThreshold\")", cache_control(no_cache))]
    async fn low_stock_threshold(&self, ctx: &Context<'_>) -> Result<crate::stock::types::LowStockThreshold> {
        variant_fields::low_stock_threshold(ctx, self.0.id).await
    }
}

/// A variant's own fields and its preloaded stock answer at once; the product, stock
/// levels and threshold (loaders, guards) and stock not loaded with the list do not.
impl Immediate for Variant {
    const TYPE: &'static str = "Variant";

    fn write_field<'q>(&self, name: &str, selected: &Selected<'q>, out: &mut Out<'q>) -> Option<()> {
        let v = &self.0;
        match name {
            "id" => out.str(&NodeType::Variant.id(v.id).0),
            "sku" => out.str(&v.sku),
            "title" => out.str(&v.title),
            "attributes" => out.list(&v.attributes, selected)?,
            "price" => out.object(&Money(v.price), selected)?,
            "compareAtPrice" => out.nullable(v.compare_at_price.map(Money).as_ref(), selected)?,
            "status" => out.value(&enum_value(VariantStatus::from(v.status)))?,
            "version" => out.int(v.version.into()),
            "availableQuantity" => out.value(&variant_fields::shown(out.ctx(), v.id, StockField::Quantity, self.1?))?,
            "inStock" => out.value(&variant_fields::shown(out.ctx(), v.id, StockField::InStock, self.1?))?,
            _ => return None,
        }
        Some(())
    }
}

impl Immediate for catalog::Attribute {
    const TYPE: &'static str = "Attribute";

    fn write_field<'q>(&self, name: &str, _: &Selected<'q>, out: &mut Out<'q>) -> Option<()> {
        match name {
            "name" => out.str(&self.name),
            "value" => out.str(&self.value),
            _ => return None,
        }
        Some(())
    }
}

/// A name/value pair such as `color: Navy`.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject, Clone)]
pub struct Attribute {
    /// Lower-case name, e.g. `color`, `size`.
    pub name: String,
    pub value: String,
}

/// A category in the catalog tree.
pub struct Category(pub catalog::Category);

#[Object]
impl Category {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::Category.id(self.0.id)
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// 0 for a top-level category.
    async fn level(&self) -> i32 {
        self.0.ancestor_ids.len() as i32
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        let Some(parent) = self.0.parent_id else { return Ok(None) };
        Ok(loader(ctx).load_one(CategoryById(parent)).await.gql()?.map(Category))
    }
    /// From the top-level category down to the parent, for breadcrumbs.
    #[graphql(complexity = "5 * child_complexity")]
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let keys = self.0.ancestor_ids.iter().map(|id| CategoryById(*id));
        let mut found = loader(ctx).load_many(keys).await.gql()?;
        Ok(self.0.ancestor_ids.iter().filter_map(|id| found.remove(&CategoryById(*id))).map(Category).collect())
    }
    /// Sub-categories in display order.
    #[graphql(complexity = "10 * child_complexity")]
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let children = loader(ctx).load_one(ChildrenOfCategory(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(children.into_iter().map(Category).collect())
    }
    /// Incremented on every edit; send it back as `expectedVersion` when editing.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A product image.
pub struct Image(pub catalog::Image);

/// A product image.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[Object]
impl Image {
    /// Absolute URL of the image.
    async fn url(&self, ctx: &Context<'_>) -> String {
        match (self.0.url.starts_with('/'), ctx.data_opt::<crate::settings::PublicOrigin>()) {
            (true, Some(origin)) => origin.0.join(&self.0.url).map(String::from).unwrap_or_else(|_| self.0.url.clone()),
            _ => self.0.url.clone(),
        }
    }
    /// Text alternative for screen readers.
    async fn alt_text(&self) -> &str {
        &self.0.alt_text
    }
}

/// Product list order.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProductSort {
    /// Best match for `filter.search` first (newest first without a search).
    Relevance,
    /// Cheapest first, by the lowest variant price.
    PriceAsc,
    /// Dearest first, by the lowest variant price.
    PriceDesc,
    NameAsc,
    NameDesc,
    /// Most recently added first.
    Newest,
}

impl From<ProductSort> for catalog::ProductSort {
    fn from(s: ProductSort) -> Self {
        match s {
            ProductSort::Relevance => catalog::ProductSort::Relevance,
            ProductSort::PriceAsc => catalog::ProductSort::PriceAsc,
            ProductSort::PriceDesc => catalog::ProductSort::PriceDesc,
            ProductSort::NameAsc => catalog::ProductSort::NameAsc,
            ProductSort::NameDesc => catalog::ProductSort::NameDesc,
            ProductSort::Newest => catalog::ProductSort::Newest,
        }
    }
}

/// Narrows a product list. All given conditions must hold.
#[derive(InputObject, Default)]
#[graphql(name = "ProductFilter")]
pub struct ProductFilterInput {
    /// In any of these categories or their sub-categories.
    pub category_ids: Option<Vec<ID>>,
    /// Words to find in name, brand, tags and description (each word a prefix). A word
    /// that matches nothing is corrected to the nearest word of the catalog, and
    /// synonym terms staff declared also match their synonyms, both ranked below
    /// matches as typed; `searchInfo` on the connection says what was done.
    pub search: Option<String>,
    /// Any of these brands (exact names, as in `facets.brands`).
    pub brands: Option<Vec<String>>,
    /// Some variant costs at least this much, in minor units.
    pub price_min: Option<i32>,
    /// Some variant costs at most this much, in minor units.
    pub price_max: Option<i32>,
    /// Some single variant has one of the values for every attribute named, e.g.
    /// `[{name: "color", values: ["Navy"]}, {name: "size", values: ["M", "L"]}]`.
    pub attributes: Option<Vec<AttributeFilterInput>>,
    /// Staff only: list products in these states (drafts and archived included),
    /// with or without variants. Shoppers always see ACTIVE products with variants.
    pub statuses: Option<Vec<ProductStatus>>,
}

#[derive(InputObject)]
#[graphql(name = "AttributeFilter")]
pub struct AttributeFilterInput {
    /// Attribute name, e.g. `color`.
    pub name: String,
    /// Any of these values matches.
    pub values: Vec<String>,
}

/// A facet value and the number of matching products that have it.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct FacetValue {
    pub value: String,
    pub count: i32,
}

impl From<catalog::FacetValue> for FacetValue {
    fn from(v: catalog::FacetValue) -> Self {
        FacetValue { value: v.value, count: int(v.count) }
    }
}

/// Counts per value of one attribute.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct AttributeFacet {
    /// Attribute name, e.g. `color`.
    pub name: String,
    pub values: Vec<FacetValue>,
}

/// What the current filter can still be narrowed by. Each facet is counted without its
/// own condition, so the other values of a chosen facet keep their counts.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct ProductFacets {
    pub brands: Vec<FacetValue>,
    /// Facets for `color` and `size`.
    pub attributes: Vec<AttributeFacet>,
    /// Cheapest and dearest matching variant; null when nothing matches.
    pub price_range: Option<PriceRange>,
}

impl From<catalog::Facets> for ProductFacets {
    fn from(f: catalog::Facets) -> Self {
        ProductFacets {
            brands: f.brands.into_iter().map(Into::into).collect(),
            attributes: f
                .attributes
                .into_iter()
                .map(|a| AttributeFacet { name: a.name, values: a.values.into_iter().map(Into::into).collect() })
                .collect(),
            price_range: f.price_range.map(|(min, max)| PriceRange { min: Money(min), max: Money(max) }),
        }
    }
}

/// The variant with `id`, as the viewer may see it.
pub(crate) async fn variant(ctx: &Context<'_>, id: i64) -> Result<Option<Variant>> {
    Ok(loader(ctx).load_one(VariantById(id)).await.gql()?.map(Variant::new))
}

/// Stock of one variant at one location. `available = onHand - reserved`.
pub struct StockLevel(pub Level);

#[Object]
impl StockLevel {
    /// Opaque id of this (variant, location) pair: the same for every read of the
    /// level, so a client cache updates a cached level from a mutation's answer.
    pub async fn id(&self) -> ID {
        CompositeType::StockLevel.id(&[self.0.variant_id, self.0.location_id])
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<StockLocation> {
        location(ctx, self.0.location_id).await
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<Variant>> {
        variant(ctx, self.0.variant_id).await
    }
    /// Units physically there.
    async fn on_hand(&self) -> i32 {
        int(self.0.on_hand)
    }
    /// Units held by carts, checkouts and unfulfilled orders.
    async fn reserved(&self) -> i32 {
        int(self.0.reserved)
    }
    /// Units that can still be reserved.
    async fn available(&self) -> i32 {
        int(self.0.available())
    }
    /// Incremented on every change; send it as `expectedVersion` to `inventoryAdjust`.
    /// 0: never stocked here.
    async fn version(&self) -> i32 {
        int(self.0.version)
    }
    /// Null if never stocked here.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}
