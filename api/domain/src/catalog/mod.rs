//! Catalog: products, variants (SKUs), categories and images; listing with filters,
//! facets and search (full text, typo correction, synonyms); the demo catalog and a
//! generated one of any size.

pub mod demo;
mod editor;
pub mod generate;
mod listing;
mod model;
pub mod search;
mod search_service;
pub mod seed;
mod service;
mod validate;

pub use editor::{CatalogEditor, CategoryChanges, NewCategory, NewProduct, NewVariant, ProductChanges, VariantChanges};
pub use listing::{AttributeFilter, MAX_PRICE, ProductFilter, ProductSort, Visibility};
pub use model::{Attribute, Category, Image, Product, ProductStatus, Variant, VariantStatus};
pub use search::plan::SearchPlan;
pub use search::query::SearchQuery;
pub use search::synonyms::SynonymSet;
pub use search_service::{Correction, SearchInfo, SearchService, SynonymUse};
pub use service::{AttributeFacet, CatalogService, FacetValue, Facets};
