//! Catalog reads. Every method that loads related rows takes a batch of ids and
//! answers with one statement, so the API layer's DataLoaders avoid N+1 queries.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};

use super::listing::{Dimension, FACET_ATTRIBUTES, ProductFilter, ProductSort, Resolved, SortPlan, Visibility, attribute_expr};
use super::model::{Category, Image, Product, VARIANT_COLUMNS, Variant, VariantRow, size_rank};
use crate::db::Database;
use crate::entity::{category, product, product_category, product_image, variant};
use crate::error::{Error, Result};
use crate::money::{Currency, Money};
use crate::pagination::{Page, PageRequest};

#[derive(Clone)]
pub struct CatalogService {
    db: Database,
    currency: Currency,
}

/// A value of a facet and how many products have it under the current filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeFacet {
    pub name: String,
    pub values: Vec<FacetValue>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Facets {
    pub brands: Vec<FacetValue>,
    pub attributes: Vec<AttributeFacet>,
    /// Cheapest and dearest matching variant; `None` when nothing matches.
    pub price_range: Option<(Money, Money)>,
}

#[derive(FromQueryResult)]
struct ValueCount {
    value: Option<String>,
    n: i64,
}

#[derive(FromQueryResult)]
struct MinMax {
    lo: Option<i64>,
    hi: Option<i64>,
}

impl CatalogService {
    /// Reads go to the read replicas when `db` has any (see [`Database::read_conn`]).
    pub fn new(db: Database, currency: Currency) -> Self {
        Self { db, currency }
    }

    /// This service with every read on the primary: for a request that writes, so what
    /// it reads back includes its own writes.
    pub fn on_primary(&self) -> Self {
        Self { db: self.db.primary_only(), currency: self.currency }
    }

    /// One page of products matching `filter`, in `sort` order.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn list_products(&self, filter: &ProductFilter, sort: ProductSort, page: &PageRequest) -> Result<Page<Product>> {
        let resolved = self.resolve(filter).await?;
        let backend = self.db.backend();
        let plan = SortPlan::new(sort, filter, backend);
        let mut select = resolved.select(backend, None);
        plan.apply(&mut select, page)?;
        let rows = self.db.read_conn().query_all(&select).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let model = product::Model::from_query_result(&row, "")?;
            let cursor = plan.cursor(&row, model.id)?;
            items.push((cursor, Product::try_from(model)?));
        }
        Ok(Page::from_rows(page, items))
    }

    /// How many products match `filter` in all.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn count_products(&self, filter: &ProductFilter) -> Result<u64> {
        let resolved = self.resolve(filter).await?;
        let backend = self.db.backend();
        let mut select = Query::select();
        select.expr_as(Func::count(Expr::col((product::Entity, product::Column::Id))), Alias::new("n")).from(product::Entity);
        resolved.restrict(backend, &mut select, None, None);
        let row = self.db.read_conn().query_one(&select).await?;
        let n: i64 = match row {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Brand, attribute and price facets for `filter`. Each facet ignores its own part
    /// of the filter, so the other choices in that facet keep their counts.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn facets(&self, filter: &ProductFilter) -> Result<Facets> {
        let filter = &self.resolve(filter).await?;
        let backend = self.db.backend();
        let conn = self.db.read_conn();

        let brands = async {
            let mut q = Query::select();
            q.expr_as(Expr::col((product::Entity, product::Column::Brand)), Alias::new("value"))
                .expr_as(Func::count(Expr::col((product::Entity, product::Column::Id))), Alias::new("n"))
                .from(product::Entity)
                .group_by_col((product::Entity, product::Column::Brand))
                .order_by((product::Entity, product::Column::Brand), Order::Asc);
            filter.restrict(backend, &mut q, Some(Dimension::Brand), None);
            let rows = ValueCount::find_by_statement(backend.build(&q)).all(conn).await?;
            Ok::<_, Error>(to_facet_values(rows))
        };

        let variant_join = |exclude: Dimension<'static>| {
            let mut q = Query::select();
            q.from(product::Entity).join_as(
                sea_orm::JoinType::InnerJoin,
                Alias::new("variants"),
                Alias::new("v"),
                Expr::cust("v.product_id = products.id"),
            );
            filter.restrict(backend, &mut q, Some(exclude), Some("v"));
            q
        };

        let attributes = futures::future::try_join_all(FACET_ATTRIBUTES.iter().map(|name| {
            let mut q = variant_join(Dimension::Attribute(name));
            let value = attribute_expr("v", name);
            q.expr_as(value.clone(), Alias::new("value"))
                .expr_as(Expr::cust("COUNT(DISTINCT products.id)"), Alias::new("n"))
                .and_where(value.clone().is_not_null())
                .add_group_by([value]);
            async move {
                let rows = ValueCount::find_by_statement(backend.build(&q)).all(conn).await?;
                let mut values = to_facet_values(rows);
                if *name == "size" {
                    values.sort_by_key(|v| size_rank(&v.value));
                } else {
                    values.sort_by(|a, b| a.value.cmp(&b.value));
                }
                Ok::<_, Error>(AttributeFacet { name: (*name).to_owned(), values })
            }
        }));

        let price = async {
            let mut q = variant_join(Dimension::Price);
            q.expr_as(Expr::cust("MIN(v.price_amount)"), Alias::new("lo")).expr_as(Expr::cust("MAX(v.price_amount)"), Alias::new("hi"));
            let row = MinMax::find_by_statement(backend.build(&q)).one(conn).await?;
            Ok::<_, Error>(match row {
                Some(MinMax { lo: Some(lo), hi: Some(hi) }) => Some((Money::new(lo, self.currency), Money::new(hi, self.currency))),
                _ => None,
            })
        };

        let (brands, attributes, price_range) = futures::try_join!(brands, attributes, price)?;
        Ok(Facets { brands, attributes, price_range })
    }

    /// Validates `filter` and looks up the paths of its categories (unknown ids are an
    /// error, not an empty result).
    async fn resolve<'f>(&self, filter: &'f ProductFilter) -> Result<Resolved<'f>> {
        filter.validate()?;
        if filter.category_ids.is_empty() {
            return Ok(filter.resolve(Vec::new()));
        }
        let paths: Vec<String> = category::Entity::find()
            .select_only()
            .column(category::Column::Path)
            .filter(category::Column::Id.is_in(filter.category_ids.iter().copied()))
            .into_tuple()
            .all(self.db.read_conn())
            .await?;
        if paths.len() < filter.category_ids.iter().collect::<std::collections::HashSet<_>>().len() {
            return Err(Error::not_found("category", "categoryIds"));
        }
        Ok(filter.resolve(paths))
    }

    pub async fn product_by_slug(&self, slug: &str, visibility: &Visibility) -> Result<Option<Product>> {
        let model = product::Entity::find().filter(product::Column::Slug.eq(slug)).one(self.db.read_conn()).await?;
        model.map(Product::try_from).transpose().map(|p| p.filter(|p| visible(p, visibility)))
    }

    pub async fn products_by_ids(&self, ids: &[i64], visibility: &Visibility) -> Result<HashMap<i64, Product>> {
        let models = product::Entity::find().filter(product::Column::Id.is_in(ids.iter().copied())).all(self.db.read_conn()).await?;
        let mut out = HashMap::with_capacity(models.len());
        for m in models {
            let p = Product::try_from(m)?;
            if visible(&p, visibility) {
                out.insert(p.id, p);
            }
        }
        Ok(out)
    }

    /// Variants of each product in display order; storefront callers get active ones only.
    pub async fn variants_by_product_ids(&self, product_ids: &[i64], visibility: &Visibility) -> Result<HashMap<i64, Vec<Variant>>> {
        let mut q = variant::Entity::find().filter(variant::Column::ProductId.is_in(product_ids.iter().copied()));
        if *visibility == Visibility::Storefront {
            q = q.filter(variant::Column::Status.eq("active"));
        }
        let rows = q
            .select_only()
            .columns(VARIANT_COLUMNS)
            .order_by_asc(variant::Column::ProductId)
            .order_by_asc(variant::Column::Position)
            .order_by_asc(variant::Column::Id)
            .into_model::<VariantRow>()
            .all(self.db.read_conn())
            .await?;
        let mut out: HashMap<i64, Vec<Variant>> = HashMap::with_capacity(product_ids.len());
        for VariantRow(v) in rows {
            out.entry(v.product_id).or_default().push(v);
        }
        Ok(out)
    }

    pub async fn variants_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Variant>> {
        let rows = variant::Entity::find()
            .select_only()
            .columns(VARIANT_COLUMNS)
            .filter(variant::Column::Id.is_in(ids.iter().copied()))
            .into_model::<VariantRow>()
            .all(self.db.read_conn())
            .await?;
        Ok(rows.into_iter().map(|VariantRow(v)| (v.id, v)).collect())
    }

    pub async fn images_by_product_ids(&self, product_ids: &[i64]) -> Result<HashMap<i64, Vec<Image>>> {
        let models = product_image::Entity::find()
            .filter(product_image::Column::ProductId.is_in(product_ids.iter().copied()))
            .order_by_asc(product_image::Column::ProductId)
            .order_by_asc(product_image::Column::Position)
            .order_by_asc(product_image::Column::Id)
            .all(self.db.read_conn())
            .await?;
        let mut out: HashMap<i64, Vec<Image>> = HashMap::new();
        for m in models {
            out.entry(m.product_id).or_default().push(Image::from(m));
        }
        Ok(out)
    }

    /// The categories each product is in, in the product's order.
    pub async fn categories_by_product_ids(&self, product_ids: &[i64]) -> Result<HashMap<i64, Vec<Category>>> {
        let rows = product_category::Entity::find()
            .filter(product_category::Column::ProductId.is_in(product_ids.iter().copied()))
            .order_by_asc(product_category::Column::ProductId)
            .order_by_asc(product_category::Column::Position)
            .find_also_related(category::Entity)
            .all(self.db.read_conn())
            .await?;
        let mut out: HashMap<i64, Vec<Category>> = HashMap::new();
        for (link, cat) in rows {
            if let Some(cat) = cat {
                out.entry(link.product_id).or_default().push(Category::from(cat));
            }
        }
        Ok(out)
    }

    pub async fn categories_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Category>> {
        let models = category::Entity::find().filter(category::Column::Id.is_in(ids.iter().copied())).all(self.db.read_conn()).await?;
        Ok(models.into_iter().map(|m| (m.id, Category::from(m))).collect())
    }

    /// Children of each category, in display order.
    pub async fn children_by_parent_ids(&self, parent_ids: &[i64]) -> Result<HashMap<i64, Vec<Category>>> {
        let models = category::Entity::find()
            .filter(category::Column::ParentId.is_in(parent_ids.iter().copied()))
            .order_by_asc(category::Column::Position)
            .order_by_asc(category::Column::Name)
            .all(self.db.read_conn())
            .await?;
        let mut out: HashMap<i64, Vec<Category>> = HashMap::new();
        for m in models {
            if let Some(parent) = m.parent_id {
                out.entry(parent).or_default().push(Category::from(m));
            }
        }
        Ok(out)
    }

    pub async fn root_categories(&self) -> Result<Vec<Category>> {
        let models = category::Entity::find()
            .filter(category::Column::ParentId.is_null())
            .order_by_asc(category::Column::Position)
            .order_by_asc(category::Column::Name)
            .all(self.db.read_conn())
            .await?;
        Ok(models.into_iter().map(Category::from).collect())
    }

    pub async fn category_by_slug(&self, slug: &str) -> Result<Option<Category>> {
        let model = category::Entity::find().filter(category::Column::Slug.eq(slug)).one(self.db.read_conn()).await?;
        Ok(model.map(Category::from))
    }
}

fn visible(p: &Product, visibility: &Visibility) -> bool {
    match visibility {
        Visibility::Storefront => p.status == super::model::ProductStatus::Active,
        Visibility::Statuses(s) => s.contains(&p.status),
    }
}

fn to_facet_values(rows: Vec<ValueCount>) -> Vec<super::service::FacetValue> {
    rows.into_iter()
        .filter_map(|r| r.value.filter(|v| !v.is_empty()).map(|value| FacetValue { value, count: u64::try_from(r.n).unwrap_or(0) }))
        .collect()
}
