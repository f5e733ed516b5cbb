//! Product listing: filters, sorts, keyset pages and facets, built as portable SQL.
//!
//! Variant-level filters (price range and attributes) must hold for the *same* variant:
//! "red in size M" means a red M exists, not a red S and a blue M.

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{DbBackend, EntityTrait, QueryTrait};
use serde::{Deserialize, Serialize};

use super::model::ProductStatus;
use super::search::plan::SearchPlan;
use crate::entity::product;
use crate::error::{Error, Result};
use crate::pagination::{Direction, PageRequest, decode_cursor, encode_cursor};

/// Attributes that have facets.
pub const FACET_ATTRIBUTES: [&str; 2] = ["color", "size"];
const MAX_FILTER_VALUES: usize = 50;
/// Most attribute filters in one listing; a variant has at most 10 attributes, and each
/// filter adds to the SQL (SQLite refuses expression trees past about 700).
const MAX_ATTRIBUTE_FILTERS: usize = 10;
/// The largest price accepted, in minor units (10 million in a 2-decimal currency);
/// fits the API's Int.
pub const MAX_PRICE: i64 = 1_000_000_000;

/// Which products a caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Shoppers: active products with at least one active variant.
    Storefront,
    /// Staff: products in the given states, with or without variants.
    Statuses(Vec<ProductStatus>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeFilter {
    /// Lower-case attribute name, e.g. `color`.
    pub name: String,
    /// Any of these values matches.
    pub values: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductFilter {
    pub visibility: Visibility,
    /// Products in any of these categories or their descendants.
    pub category_ids: Vec<i64>,
    /// What to search for, planned by `SearchService::plan` (typos and synonyms resolved).
    pub search: Option<SearchPlan>,
    pub brands: Vec<String>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub attributes: Vec<AttributeFilter>,
}

impl Default for ProductFilter {
    fn default() -> Self {
        ProductFilter {
            visibility: Visibility::Storefront,
            category_ids: Vec::new(),
            search: None,
            brands: Vec::new(),
            price_min: None,
            price_max: None,
            attributes: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductSort {
    /// Best match for the search text first; newest first without a search.
    Relevance,
    PriceAsc,
    PriceDesc,
    NameAsc,
    NameDesc,
    Newest,
}

/// A facet dimension, left out when counting its own facet so that choosing one brand
/// still shows the counts of the others.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dimension<'a> {
    Brand,
    Price,
    Attribute(&'a str),
}

impl ProductFilter {
    /// Checks everything that does not need the database.
    pub fn validate(&self) -> Result<()> {
        if self.brands.len() > MAX_FILTER_VALUES || self.category_ids.len() > MAX_FILTER_VALUES {
            return Err(Error::invalid("filter", format!("at most {MAX_FILTER_VALUES} values per filter")));
        }
        for (field, value) in [("priceMin", self.price_min), ("priceMax", self.price_max)] {
            if let Some(v) = value
                && !(0..=MAX_PRICE).contains(&v)
            {
                return Err(Error::invalid(field, format!("`{field}` must be between 0 and {MAX_PRICE} minor units")));
            }
        }
        if let (Some(min), Some(max)) = (self.price_min, self.price_max)
            && min > max
        {
            return Err(Error::invalid("priceMin", "`priceMin` is greater than `priceMax`"));
        }
        if self.attributes.len() > MAX_ATTRIBUTE_FILTERS {
            return Err(Error::invalid(
                "attributes",
                format!("at most {MAX_ATTRIBUTE_FILTERS} attribute filters (a variant has at most {MAX_ATTRIBUTE_FILTERS} attributes)"),
            ));
        }
        for attr in &self.attributes {
            let valid_name = !attr.name.is_empty()
                && attr.name.len() <= 32
                && attr.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name {
                return Err(Error::invalid(
                    "attributes",
                    format!("'{}' is not an attribute name (lower-case letters, digits, _)", preview(&attr.name)),
                ));
            }
            if attr.values.len() > MAX_FILTER_VALUES {
                return Err(Error::invalid("attributes", format!("at most {MAX_FILTER_VALUES} values per attribute")));
            }
        }
        Ok(())
    }

    /// Binds the filter to the materialised paths of its categories (looked up by the
    /// service), ready to build SQL.
    pub(crate) fn resolve(&self, category_paths: Vec<String>) -> Resolved<'_> {
        Resolved { filter: self, category_paths }
    }
}

/// A filter whose category ids have been resolved to materialised paths.
pub(crate) struct Resolved<'a> {
    filter: &'a ProductFilter,
    /// `/1/4/`-style paths; a product matches if it is in any category under one of them.
    category_paths: Vec<String>,
}

impl Resolved<'_> {
    /// `SELECT <products columns> FROM products` restricted by everything but `exclude`.
    pub(crate) fn select(&self, backend: DbBackend, exclude: Option<Dimension>) -> SelectStatement {
        let mut select = product::Entity::find().into_query();
        self.restrict(backend, &mut select, exclude, None);
        select
    }

    /// Adds the filter's conditions to a select over `products`. With `variant_alias`,
    /// the select already joins `variants` under that alias and variant conditions
    /// apply to it directly; otherwise they go into an `EXISTS` subquery.
    pub(crate) fn restrict(
        &self,
        backend: DbBackend,
        select: &mut SelectStatement,
        exclude: Option<Dimension>,
        variant_alias: Option<&str>,
    ) {
        let filter = self.filter;
        match &filter.visibility {
            Visibility::Storefront => {
                select.and_where(Expr::col((product::Entity, product::Column::Status)).eq(ProductStatus::Active.as_str()));
            }
            Visibility::Statuses(statuses) => {
                select.and_where(Expr::col((product::Entity, product::Column::Status)).is_in(statuses.iter().map(|s| s.as_str())));
            }
        }
        if !self.category_paths.is_empty() {
            let path = Expr::col((Alias::new("c"), Alias::new("path")));
            let any = self.category_paths.iter().fold(Condition::any(), |any, p| any.add(path.clone().like(format!("{p}%"))));
            let sub = Query::select()
                .expr(Expr::val(1))
                .from_as(Alias::new("product_categories"), Alias::new("pc"))
                .join_as(sea_orm::JoinType::InnerJoin, Alias::new("categories"), Alias::new("c"), Expr::cust("c.id = pc.category_id"))
                .and_where(Expr::cust("pc.product_id = products.id"))
                .cond_where(any)
                .to_owned();
            select.and_where(Expr::exists(sub));
        }
        if let Some(search) = &filter.search {
            search.apply(backend, select);
        }
        if !filter.brands.is_empty() && exclude != Some(Dimension::Brand) {
            select.and_where(Expr::col((product::Entity, product::Column::Brand)).is_in(filter.brands.iter().cloned()));
        }

        let alias = variant_alias.unwrap_or("v");
        let variant_cond = self.variant_condition(alias, exclude);
        match variant_alias {
            Some(_) => {
                select.cond_where(variant_cond);
            }
            None => {
                let needs_variant = matches!(filter.visibility, Visibility::Storefront)
                    || filter.price_min.is_some()
                    || filter.price_max.is_some()
                    || !filter.attributes.is_empty();
                if needs_variant {
                    let sub = Query::select()
                        .expr(Expr::val(1))
                        .from_as(Alias::new("variants"), Alias::new(alias))
                        .and_where(Expr::cust(format!("{alias}.product_id = products.id")))
                        .cond_where(variant_cond)
                        .to_owned();
                    select.and_where(Expr::exists(sub));
                }
            }
        }
    }

    fn variant_condition(&self, alias: &str, exclude: Option<Dimension>) -> Condition {
        let col = |name: &str| Expr::col((Alias::new(alias), Alias::new(name)));
        let mut cond = Condition::all().add(col("status").eq("active"));
        if exclude != Some(Dimension::Price) {
            if let Some(min) = self.filter.price_min {
                cond = cond.add(col("price_amount").gte(min));
            }
            if let Some(max) = self.filter.price_max {
                cond = cond.add(col("price_amount").lte(max));
            }
        }
        for attr in &self.filter.attributes {
            if exclude == Some(Dimension::Attribute(&attr.name)) {
                continue;
            }
            // The name is validated to [a-z0-9_] so it can be a literal, which lets the
            // expression indexes on color and size be used.
            cond = cond.add(attribute_expr(alias, &attr.name).is_in(attr.values.iter().cloned()));
        }
        cond
    }
}

/// `(alias.attributes ->> 'name')`: portable between Postgres (jsonb) and SQLite (3.38+).
pub(crate) fn attribute_expr(alias: &str, name: &str) -> Expr {
    debug_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
    Expr::cust(format!("({alias}.attributes ->> '{name}')"))
}

/// The sort key of one row, as stored in its cursor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum SortKey {
    Int(i64),
    Float(f64),
    Text(String),
}

#[derive(Serialize, Deserialize)]
struct ProductCursor {
    /// The sort the cursor belongs to.
    s: ProductSort,
    /// Sort key value (absent when the sort is by id).
    k: Option<SortKey>,
    i: i64,
}

/// A sort resolved against the filter: what to order by and how.
pub(crate) struct SortPlan {
    sort: ProductSort,
    /// The sort key expression and whether it ascends; `None` orders by id alone.
    key: Option<(Expr, bool)>,
    id_ascending: bool,
}

impl SortPlan {
    pub(crate) fn new(sort: ProductSort, filter: &ProductFilter, backend: DbBackend) -> Self {
        let sort = match (sort, &filter.search) {
            (ProductSort::Relevance, None) => ProductSort::Newest,
            (s, _) => s,
        };
        let name = match backend {
            DbBackend::Postgres => Expr::cust("products.name COLLATE \"C\""),
            _ => Expr::col((product::Entity, product::Column::Name)),
        };
        let price = Expr::col((product::Entity, product::Column::PriceMin));
        let (key, id_ascending) = match sort {
            ProductSort::Relevance => {
                let rank = filter.search.as_ref().map(|s| s.rank(backend)).unwrap_or_else(|| Expr::val(0.0));
                (Some((rank, false)), true)
            }
            ProductSort::PriceAsc => (Some((price, true)), true),
            ProductSort::PriceDesc => (Some((price, false)), true),
            ProductSort::NameAsc => (Some((name, true)), true),
            ProductSort::NameDesc => (Some((name, false)), true),
            ProductSort::Newest => (None, false),
        };
        SortPlan { sort, key, id_ascending }
    }

    /// Adds the sort key as a selected column named `sort_key`, the keyset conditions of
    /// the page's cursors, the order and the limit (one extra row).
    pub(crate) fn apply(&self, select: &mut SelectStatement, page: &PageRequest) -> Result<()> {
        if let Some((key, _)) = &self.key {
            select.expr_as(key.clone(), Alias::new("sort_key"));
        }
        if let Some(after) = &page.after {
            let cursor = self.decode(after, "after")?;
            select.cond_where(self.beyond(&cursor, true));
        }
        if let Some(before) = &page.before {
            let cursor = self.decode(before, "before")?;
            select.cond_where(self.beyond(&cursor, false));
        }
        let forward = page.direction == Direction::Forward;
        let order = |ascending: bool| if ascending == forward { Order::Asc } else { Order::Desc };
        if let Some((key, ascending)) = &self.key {
            select.order_by_expr(key.clone(), order(*ascending));
        }
        select.order_by((product::Entity, product::Column::Id), order(self.id_ascending));
        select.limit(page.size as u64 + 1);
        Ok(())
    }

    fn decode(&self, cursor: &str, field: &str) -> Result<ProductCursor> {
        let c: ProductCursor = decode_cursor(cursor, field)?;
        let key_matches = match (&self.key, &c.k) {
            (None, None) => true,
            (Some(_), Some(SortKey::Float(_))) => self.sort == ProductSort::Relevance,
            (Some(_), Some(SortKey::Int(_))) => matches!(self.sort, ProductSort::PriceAsc | ProductSort::PriceDesc),
            (Some(_), Some(SortKey::Text(_))) => matches!(self.sort, ProductSort::NameAsc | ProductSort::NameDesc),
            _ => false,
        };
        if c.s != self.sort || !key_matches {
            return Err(Error::invalid(field, format!("`{field}` is a cursor from a different sort order")));
        }
        Ok(c)
    }

    /// Rows strictly after (`after = true`) or before the cursor's row in this order.
    fn beyond(&self, c: &ProductCursor, after: bool) -> Condition {
        let id = Expr::col((product::Entity, product::Column::Id));
        let id_beyond = if self.id_ascending == after { id.clone().gt(c.i) } else { id.clone().lt(c.i) };
        match (&self.key, &c.k) {
            (Some((key, ascending)), Some(value)) => {
                let v: sea_orm::Value = match value {
                    SortKey::Int(n) => (*n).into(),
                    SortKey::Float(f) => (*f).into(),
                    SortKey::Text(s) => s.clone().into(),
                };
                let key_beyond = if *ascending == after { key.clone().gt(v.clone()) } else { key.clone().lt(v.clone()) };
                Condition::any().add(key_beyond).add(Condition::all().add(key.clone().eq(v)).add(id_beyond))
            }
            _ => Condition::all().add(id_beyond),
        }
    }

    /// The cursor of a fetched row.
    pub(crate) fn cursor(&self, row: &sea_orm::QueryResult, id: i64) -> Result<String> {
        let k = match self.sort {
            ProductSort::Newest => None,
            ProductSort::Relevance => Some(SortKey::Float(row.try_get("", "sort_key")?)),
            ProductSort::PriceAsc | ProductSort::PriceDesc => Some(SortKey::Int(row.try_get("", "sort_key")?)),
            ProductSort::NameAsc | ProductSort::NameDesc => Some(SortKey::Text(row.try_get("", "sort_key")?)),
        };
        Ok(encode_cursor(&ProductCursor { s: self.sort, k, i: id }))
    }
}

/// The start of a value for an error message: at most 40 characters, so a hostile
/// 100 KB value is not echoed back whole.
pub fn preview(value: &str) -> String {
    const MAX: usize = 40;
    match value.char_indices().nth(MAX) {
        None => value.to_owned(),
        Some((end, _)) => format!("{}…", &value[..end]),
    }
}
