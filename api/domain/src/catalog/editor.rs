//! Staff edits to the catalog, each guarded by the version the editor saw.
//!
//! Every update is one statement `UPDATE ... WHERE id = ? AND version = ?`; when it
//! touches no row the edit was stale (or the row is gone) and nothing changes: the
//! caller gets `VersionConflict` with the current version, or `NotFound`. Unique slugs
//! and SKUs are enforced by the database and reported by constraint name.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::demo::slugify;
use super::model::{Category, Product, ProductStatus, Variant, VariantStatus};
use super::search::vocabulary;
use super::validate;
use crate::db::{Database, WriteTxn, unique_violation};
use crate::entity::{category, product, product_category, variant};
use crate::error::{Error, ErrorCode, Result};
use crate::money::Currency;

#[derive(Clone, Debug, Default)]
pub struct NewProduct {
    pub name: String,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub description: String,
    pub brand: String,
    pub tags: Vec<String>,
    /// Draft by default: invisible to shoppers until activated.
    pub status: Option<ProductStatus>,
    pub category_ids: Vec<i64>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub tags: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
    pub category_ids: Option<Vec<i64>>,
}

#[derive(Clone, Debug, Default)]
pub struct NewVariant {
    pub product_id: i64,
    pub sku: String,
    /// Derived from the attribute values ("Navy / M") when absent.
    pub title: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub position: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub struct VariantChanges {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub attributes: Option<Vec<(String, String)>>,
    pub price: Option<i64>,
    /// `Some(None)` clears it.
    pub compare_at_price: Option<Option<i64>>,
    pub status: Option<VariantStatus>,
    pub position: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub struct NewCategory {
    pub name: String,
    pub slug: Option<String>,
    pub description: String,
    pub parent_id: Option<i64>,
    pub position: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub position: Option<i32>,
}

#[derive(Clone)]
pub struct CatalogEditor {
    db: Database,
    currency: Currency,
}

fn taken(err: DbErr) -> Error {
    match unique_violation(&err) {
        Some("products.slug") | Some("categories.slug") => {
            Error::Taken { code: ErrorCode::SlugTaken, field: "slug".into(), message: "this slug is already used; choose another".into() }
        }
        Some("variants.sku") => {
            Error::Taken { code: ErrorCode::SkuTaken, field: "sku".into(), message: "this SKU is already used by another variant".into() }
        }
        _ => err.into(),
    }
}

/// Applies `changes` (column, value) plus `version = version + 1` to the row with `id`
/// if it is at `expected_version`. Returns whether it matched.
async fn guarded_update<E, C>(
    txn: &C,
    id_col: E::Column,
    id: i64,
    version_col: E::Column,
    expected: i64,
    changes: Vec<(E::Column, SimpleExpr)>,
) -> Result<bool>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut update = E::update_many().col_expr(version_col, Expr::col(version_col).add(1));
    for (col, value) in changes {
        update = update.col_expr(col, value);
    }
    let result = update.filter(id_col.eq(id)).filter(version_col.eq(expected)).exec(txn).await.map_err(taken)?;
    Ok(result.rows_affected == 1)
}

impl CatalogEditor {
    pub fn new(db: Database, currency: Currency) -> Self {
        CatalogEditor { db, currency }
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_product(&self, input: NewProduct) -> Result<Product> {
        let name = validate::name(&input.name, "name")?;
        let slug = validate::slug(input.slug.as_deref().unwrap_or(&slugify(&name)), "slug")?;
        let description = validate::text(&input.description, "description", 10_000)?;
        let brand = validate::text(&input.brand, "brand", 100)?;
        let tags = validate::tags(&input.tags)?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        self.check_categories(&txn, &input.category_ids).await?;
        let inserted = product::Entity::insert(product::ActiveModel {
            slug: Set(slug),
            name: Set(name),
            description: Set(description),
            brand: Set(brand),
            tags: Set(serde_json::json!(tags)),
            status: Set(input.status.unwrap_or(ProductStatus::Draft).as_str().into()),
            currency: Set(self.currency.code().into()),
            price_min: Set(0),
            price_max: Set(0),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .map_err(taken)?;
        self.link_categories(&txn, inserted.id, &input.category_ids).await?;
        vocabulary::record_change(&*txn, &Default::default(), &vocabulary::words_of(&inserted)).await?;
        txn.commit().await?;
        Product::try_from(inserted)
    }

    #[tracing::instrument(skip(self, changes))]
    pub async fn update_product(&self, id: i64, expected_version: i64, changes: ProductChanges) -> Result<Product> {
        let mut set: Vec<(product::Column, SimpleExpr)> = vec![(product::Column::UpdatedAt, Expr::val(Utc::now()))];
        if let Some(name) = &changes.name {
            set.push((product::Column::Name, Expr::val(validate::name(name, "name")?)));
        }
        if let Some(slug) = &changes.slug {
            set.push((product::Column::Slug, Expr::val(validate::slug(slug, "slug")?)));
        }
        if let Some(text) = &changes.description {
            set.push((product::Column::Description, Expr::val(validate::text(text, "description", 10_000)?)));
        }
        if let Some(brand) = &changes.brand {
            set.push((product::Column::Brand, Expr::val(validate::text(brand, "brand", 100)?)));
        }
        if let Some(tags) = &changes.tags {
            set.push((product::Column::Tags, Expr::val(serde_json::json!(validate::tags(tags)?))));
        }
        if let Some(status) = changes.status {
            set.push((product::Column::Status, Expr::val(status.as_str())));
        }
        let txn = self.db.begin_write().await?;
        if let Some(ids) = &changes.category_ids {
            self.check_categories(&txn, ids).await?;
        }
        // The searchable text before the change, for the vocabulary. Read at the
        // expected version only: versions only grow, so if the guarded update below
        // succeeds, nobody changed the row between this read and it.
        let text_changes = changes.name.is_some() || changes.description.is_some() || changes.brand.is_some() || changes.tags.is_some();
        let before = match text_changes {
            true => product::Entity::find_by_id(id).one(&*txn).await?.filter(|m| i64::from(m.version) == expected_version),
            false => None,
        };
        if text_changes && before.is_none() {
            return Err(self.product_conflict(&txn, id, expected_version).await);
        }
        if !guarded_update::<product::Entity, _>(&*txn, product::Column::Id, id, product::Column::Version, expected_version, set).await? {
            return Err(self.product_conflict(&txn, id, expected_version).await);
        }
        if let Some(ids) = &changes.category_ids {
            product_category::Entity::delete_many().filter(product_category::Column::ProductId.eq(id)).exec(&*txn).await?;
            self.link_categories(&txn, id, ids).await?;
        }
        let updated = product::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("product", "id"))?;
        if let Some(before) = &before {
            vocabulary::record_change(&*txn, &vocabulary::words_of(before), &vocabulary::words_of(&updated)).await?;
        }
        txn.commit().await?;
        Product::try_from(updated)
    }

    /// Archives a product: shoppers no longer see it; staff still do.
    pub async fn archive_product(&self, id: i64, expected_version: i64) -> Result<Product> {
        self.update_product(id, expected_version, ProductChanges { status: Some(ProductStatus::Archived), ..Default::default() }).await
    }

    /// The error for an update that matched no row: the product is gone or moved on.
    async fn product_conflict(&self, txn: &WriteTxn, id: i64, expected_version: i64) -> Error {
        match product::Entity::find_by_id(id).one(&**txn).await {
            Ok(Some(current)) => Error::stale("product", expected_version, i64::from(current.version)),
            Ok(None) => Error::not_found("product", "id"),
            Err(e) => e.into(),
        }
    }

    async fn check_categories(&self, txn: &WriteTxn, ids: &[i64]) -> Result<()> {
        if ids.len() > 20 {
            return Err(Error::invalid("categoryIds", "at most 20 categories per product"));
        }
        let found = category::Entity::find().filter(category::Column::Id.is_in(ids.iter().copied())).all(&**txn).await?;
        match ids.iter().position(|id| !found.iter().any(|c| c.id == *id)) {
            Some(i) => Err(Error::not_found("category", format!("categoryIds.{i}"))),
            None => Ok(()),
        }
    }

    async fn link_categories(&self, txn: &WriteTxn, product_id: i64, ids: &[i64]) -> Result<()> {
        let mut seen = Vec::new();
        for (position, id) in ids.iter().enumerate() {
            if seen.contains(id) {
                continue;
            }
            seen.push(*id);
            product_category::Entity::insert(product_category::ActiveModel {
                product_id: Set(product_id),
                category_id: Set(*id),
                position: Set(position as i32),
            })
            .exec_without_returning(&**txn)
            .await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(product_id = input.product_id))]
    pub async fn create_variant(&self, input: NewVariant) -> Result<Variant> {
        let sku = validate::sku(&input.sku)?;
        let attributes = validate::attributes(&input.attributes)?;
        let title = match &input.title {
            Some(t) => validate::name(t, "title")?,
            None => title_from(&attributes),
        };
        let price = validate::price(input.price, "price")?;
        let compare_at = input.compare_at_price.map(|p| validate::price(p, "compareAtPrice")).transpose()?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        if product::Entity::find_by_id(input.product_id).one(&*txn).await?.is_none() {
            return Err(Error::not_found("product", "productId"));
        }
        let inserted = variant::Entity::insert(variant::ActiveModel {
            product_id: Set(input.product_id),
            sku: Set(sku),
            title: Set(title),
            attributes: Set(attributes_json(&attributes)),
            price_amount: Set(price),
            compare_at_amount: Set(compare_at),
            currency: Set(self.currency.code().into()),
            position: Set(input.position.unwrap_or(0)),
            status: Set(VariantStatus::Active.as_str().into()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .map_err(taken)?;
        refresh_price_range(&*txn, input.product_id).await?;
        txn.commit().await?;
        Variant::try_from(inserted)
    }

    #[tracing::instrument(skip(self, changes))]
    pub async fn update_variant(&self, id: i64, expected_version: i64, changes: VariantChanges) -> Result<Variant> {
        let mut set: Vec<(variant::Column, SimpleExpr)> = vec![(variant::Column::UpdatedAt, Expr::val(Utc::now()))];
        if let Some(sku) = &changes.sku {
            set.push((variant::Column::Sku, Expr::val(validate::sku(sku)?)));
        }
        if let Some(title) = &changes.title {
            set.push((variant::Column::Title, Expr::val(validate::name(title, "title")?)));
        }
        if let Some(attrs) = &changes.attributes {
            let attrs = validate::attributes(attrs)?;
            set.push((variant::Column::Attributes, Expr::val(attributes_json(&attrs))));
            if changes.title.is_none() {
                set.push((variant::Column::Title, Expr::val(title_from(&attrs))));
            }
        }
        if let Some(price) = changes.price {
            set.push((variant::Column::PriceAmount, Expr::val(validate::price(price, "price")?)));
        }
        if let Some(compare_at) = changes.compare_at_price {
            let value = compare_at.map(|p| validate::price(p, "compareAtPrice")).transpose()?;
            set.push((variant::Column::CompareAtAmount, Expr::val(value)));
        }
        if let Some(status) = changes.status {
            set.push((variant::Column::Status, Expr::val(status.as_str())));
        }
        if let Some(position) = changes.position {
            set.push((variant::Column::Position, Expr::val(position)));
        }
        let txn = self.db.begin_write().await?;
        if !guarded_update::<variant::Entity, _>(&*txn, variant::Column::Id, id, variant::Column::Version, expected_version, set).await? {
            return Err(match variant::Entity::find_by_id(id).one(&*txn).await? {
                Some(current) => Error::stale("variant", expected_version, i64::from(current.version)),
                None => Error::not_found("variant", "id"),
            });
        }
        let updated = variant::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("variant", "id"))?;
        refresh_price_range(&*txn, updated.product_id).await?;
        txn.commit().await?;
        Variant::try_from(updated)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_category(&self, input: NewCategory) -> Result<Category> {
        let name = validate::name(&input.name, "name")?;
        let slug = validate::slug(input.slug.as_deref().unwrap_or(&slugify(&name)), "slug")?;
        let description = validate::text(&input.description, "description", 2_000)?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let parent_path = match input.parent_id {
            Some(pid) => {
                Some(category::Entity::find_by_id(pid).one(&*txn).await?.ok_or_else(|| Error::not_found("category", "parentId"))?.path)
            }
            None => None,
        };
        let inserted = category::Entity::insert(category::ActiveModel {
            parent_id: Set(input.parent_id),
            slug: Set(slug),
            name: Set(name),
            description: Set(description),
            position: Set(input.position.unwrap_or(0)),
            path: Set(String::new()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .map_err(taken)?;
        let path = format!("{}{}/", parent_path.unwrap_or_else(|| "/".into()), inserted.id);
        category::Entity::update_many()
            .col_expr(category::Column::Path, Expr::val(path))
            .filter(category::Column::Id.eq(inserted.id))
            .exec(&*txn)
            .await?;
        let created = category::Entity::find_by_id(inserted.id).one(&*txn).await?.ok_or_else(|| Error::not_found("category", "id"))?;
        txn.commit().await?;
        Ok(Category::from(created))
    }

    #[tracing::instrument(skip(self, changes))]
    pub async fn update_category(&self, id: i64, expected_version: i64, changes: CategoryChanges) -> Result<Category> {
        let mut set: Vec<(category::Column, SimpleExpr)> = vec![(category::Column::UpdatedAt, Expr::val(Utc::now()))];
        if let Some(name) = &changes.name {
            set.push((category::Column::Name, Expr::val(validate::name(name, "name")?)));
        }
        if let Some(slug) = &changes.slug {
            set.push((category::Column::Slug, Expr::val(validate::slug(slug, "slug")?)));
        }
        if let Some(text) = &changes.description {
            set.push((category::Column::Description, Expr::val(validate::text(text, "description", 2_000)?)));
        }
        if let Some(position) = changes.position {
            set.push((category::Column::Position, Expr::val(position)));
        }
        let txn = self.db.begin_write().await?;
        if !guarded_update::<category::Entity, _>(&*txn, category::Column::Id, id, category::Column::Version, expected_version, set).await?
        {
            return Err(self.category_conflict(&txn, id, expected_version).await);
        }
        let updated = category::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("category", "id"))?;
        txn.commit().await?;
        Ok(Category::from(updated))
    }

    /// Moves a category (with its sub-tree) under `new_parent`, or to the top level.
    #[tracing::instrument(skip(self))]
    pub async fn move_category(&self, id: i64, expected_version: i64, new_parent: Option<i64>) -> Result<Category> {
        let txn = self.db.begin_write().await?;
        if self.db.is_postgres() {
            // Serialise moves: two concurrent moves could otherwise form a cycle.
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7342101)").await?;
        }
        let current = category::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("category", "id"))?;
        let parent_path = match new_parent {
            Some(pid) => {
                let parent = category::Entity::find_by_id(pid).one(&*txn).await?.ok_or_else(|| Error::not_found("category", "parentId"))?;
                if parent.path.starts_with(&current.path) {
                    return Err(Error::invalid("parentId", "a category cannot move under itself or its own sub-categories"));
                }
                parent.path
            }
            None => "/".into(),
        };
        let new_path = format!("{parent_path}{id}/");
        let set = vec![
            (category::Column::ParentId, Expr::val(new_parent)),
            (category::Column::Path, Expr::val(new_path.clone())),
            (category::Column::UpdatedAt, Expr::val(Utc::now())),
        ];
        if !guarded_update::<category::Entity, _>(&*txn, category::Column::Id, id, category::Column::Version, expected_version, set).await?
        {
            return Err(self.category_conflict(&txn, id, expected_version).await);
        }
        // Re-root every descendant's path: '/1/4/9/' under '/1/4/' moving to '/2/4/'.
        // Paths are digits and slashes we built, so they can be SQL literals (custom SQL
        // placeholders differ between backends).
        debug_assert!(new_path.bytes().all(|b| b.is_ascii_digit() || b == b'/'));
        let keep_from = current.path.chars().count() + 1;
        category::Entity::update_many()
            .col_expr(category::Column::Path, Expr::cust(format!("('{new_path}' || substr(path, {keep_from}))")))
            .filter(category::Column::Path.like(format!("{}%", current.path)))
            .filter(category::Column::Id.ne(id))
            .exec(&*txn)
            .await?;
        let moved = category::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("category", "id"))?;
        txn.commit().await?;
        Ok(Category::from(moved))
    }

    async fn category_conflict(&self, txn: &WriteTxn, id: i64, expected_version: i64) -> Error {
        match category::Entity::find_by_id(id).one(&**txn).await {
            Ok(Some(current)) => Error::stale("category", expected_version, i64::from(current.version)),
            Ok(None) => Error::not_found("category", "id"),
            Err(e) => e.into(),
        }
    }
}

/// Keeps the product's price range equal to its active variants' prices.
async fn refresh_price_range<C: ConnectionTrait>(txn: &C, product_id: i64) -> Result<()> {
    // An integer id can be a literal (custom SQL placeholders differ between backends).
    let price = |agg: &str| {
        Expr::cust(format!(
            "COALESCE((SELECT {agg}(v.price_amount) FROM variants v WHERE v.product_id = {product_id} AND v.status = 'active'), 0)"
        ))
    };
    product::Entity::update_many()
        .col_expr(product::Column::PriceMin, price("MIN"))
        .col_expr(product::Column::PriceMax, price("MAX"))
        .filter(product::Column::Id.eq(product_id))
        .exec(txn)
        .await?;
    Ok(())
}

fn attributes_json(attrs: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Object(attrs.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect())
}

fn title_from(attrs: &[(String, String)]) -> String {
    if attrs.is_empty() { "Default".into() } else { attrs.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / ") }
}
