//! Catalog queries: the product listing (a Relay connection with facets), single
//! products and the category tree.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result};

use super::search::SearchInfo;
use super::types::{Category, Product, ProductFacets, ProductFilterInput, ProductSort, with_variants};
use crate::access::{self, Access};
use crate::error::{ApiError, ResultExt};
use crate::ids::{NodeType, decode_as};
use crate::immediate::Now;
use crate::int::int;
use crate::settings::GraphqlLimits;
use stockade_domain::catalog::{self, AttributeFilter, CatalogService, ProductFilter, SearchQuery, SearchService, Visibility};
use stockade_domain::pagination::PageRequest;

/// Fields on the product connection beyond edges and page info.
pub struct ProductConnectionFields {
    filter: ProductFilter,
    search_info: Option<catalog::SearchInfo>,
}

#[Object]
impl ProductConnectionFields {
    /// How many products match the filter in all (costs one extra count query).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = ctx.data_unchecked::<CatalogService>().count_products(&self.filter).await.gql()?;
        Ok(int(n))
    }

    /// Brands, colors, sizes and the price range available under the filter.
    async fn facets(&self, ctx: &Context<'_>) -> Result<ProductFacets> {
        Ok(ctx.data_unchecked::<CatalogService>().facets(&self.filter).await.gql()?.into())
    }

    /// What `filter.search` did: corrections of misspelt words and synonyms used.
    /// Null without a search.
    async fn search_info(&self) -> Option<SearchInfo> {
        self.search_info.clone().map(Into::into)
    }
}

pub type ProductConnection = Connection<String, Now<Product>, ProductConnectionFields>;

/// Cost of a page: the page size times what each item costs.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).map_or(stockade_domain::pagination::DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0));
    size.max(1).saturating_mul(child_complexity)
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Products for sale, filtered, sorted and paginated (Relay connection).
    /// `first`/`last` are capped (100 by default); neither means 20.
    #[graphql(complexity = "page_cost(first, last, child_complexity)", cache_control(max_age = 30))]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilterInput>,
        #[graphql(desc = "Defaults to RELEVANCE with a search, NEWEST without.")] sort_by: Option<ProductSort>,
    ) -> Result<ProductConnection> {
        let limits = ctx.data_unchecked::<Arc<GraphqlLimits>>();
        let page = PageRequest::new(first, after, last, before, limits.max_page_size).gql()?;
        let mut filter = filter.unwrap_or_default();
        let visibility = match filter.statuses.take() {
            None => Visibility::Storefront,
            Some(statuses) => {
                access::check(Access::Staff, access::viewer(ctx)).map_err(ApiError).gql()?;
                Visibility::Statuses(statuses.into_iter().map(Into::into).collect())
            }
        };
        let (mut filter, query) = to_domain_filter(filter, visibility).gql()?;
        let search_info = match &query {
            Some(query) => {
                let (plan, info) = ctx.data_unchecked::<SearchService>().plan(query, &filter.visibility).await.gql()?;
                filter.search = Some(plan);
                Some(info)
            }
            None => None,
        };
        let sort = sort_by.map_or(catalog::ProductSort::Relevance, Into::into);
        let result = ctx.data_unchecked::<CatalogService>().list_products(&filter, sort, &page).await.gql()?;
        let fields = ProductConnectionFields { filter, search_info };
        let mut connection = Connection::with_additional_fields(result.has_previous_page, result.has_next_page, fields);
        let (cursors, products): (Vec<String>, Vec<catalog::Product>) = result.items.into_iter().unzip();
        let variants = ctx.look_ahead().field("edges").field("node").field("variants");
        let products = with_variants(ctx, variants, products).await?;
        connection.edges.extend(cursors.into_iter().zip(products).map(|(cursor, p)| Edge::new(cursor, Now(p))));
        Ok(connection)
    }

    /// A product by its slug; null if there is none for sale (staff also see drafts
    /// and archived products).
    #[graphql(cache_control(max_age = 30))]
    async fn product(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Now<Product>>> {
        let found = ctx.data_unchecked::<CatalogService>().product_by_slug(&slug, &super::visibility(ctx)).await.gql()?;
        let products = with_variants(ctx, ctx.look_ahead().field("variants"), found.into_iter().collect()).await?;
        Ok(products.into_iter().next().map(Now))
    }

    /// The top-level categories; walk `children` for the tree.
    #[graphql(cache_control(max_age = 30))]
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let roots = ctx.data_unchecked::<CatalogService>().root_categories().await.gql()?;
        Ok(roots.into_iter().map(Category).collect())
    }

    /// A category by its slug.
    #[graphql(cache_control(max_age = 30))]
    async fn category(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Category>> {
        Ok(ctx.data_unchecked::<CatalogService>().category_by_slug(&slug).await.gql()?.map(Category))
    }
}

/// The filter without its search (planned apart, it needs the database) and the search.
fn to_domain_filter(input: ProductFilterInput, visibility: Visibility) -> Result<(ProductFilter, Option<SearchQuery>), ApiError> {
    let category_ids = input
        .category_ids
        .unwrap_or_default()
        .iter()
        .map(|id| decode_as(id, NodeType::Category, "categoryIds"))
        .collect::<Result<Vec<_>, _>>()?;
    let search = match input.search.as_deref() {
        Some(text) => SearchQuery::parse(text)?,
        None => None,
    };
    let filter = ProductFilter {
        visibility,
        category_ids,
        search: None,
        brands: input.brands.unwrap_or_default(),
        price_min: input.price_min.map(i64::from),
        price_max: input.price_max.map(i64::from),
        attributes: input
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|a| AttributeFilter { name: a.name.trim().to_lowercase(), values: a.values })
            .collect(),
    };
    filter.validate()?;
    Ok((filter, search))
}
