//! Catalog: products, variants (SKUs), categories and images; listing with filters,
//! facets and full-text search; the demo catalog.

pub mod demo;
mod editor;
mod listing;
mod model;
mod search;
pub mod seed;
mod service;
mod validate;

pub use editor::{CatalogEditor, CategoryChanges, NewCategory, NewProduct, NewVariant, ProductChanges, VariantChanges};
pub use listing::{AttributeFilter, MAX_PRICE, ProductFilter, ProductSort, Visibility};
pub use model::{Attribute, Category, Image, Product, ProductStatus, Variant, VariantStatus};
pub use search::SearchQuery;
pub use service::{AttributeFacet, CatalogService, FacetValue, Facets};
