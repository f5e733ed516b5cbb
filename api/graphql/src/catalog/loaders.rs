//! Loaders for every nested catalog relation, driven by [`Batcher`](crate::batch::Batcher).
//! One loader struct serves several key types; each key type is batched on its own,
//! one SQL statement per wave.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::error::SharedError;
use stockade_domain::catalog::{CatalogService, Category, Image, Product, Variant, Visibility};

pub struct CatalogLoader {
    pub catalog: CatalogService,
    /// What the requesting viewer may see; fixed for the request.
    pub visibility: Visibility,
}

macro_rules! key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub i64);
    };
}

key!(/// A product by id.
    ProductById);
key!(/// A variant by id.
    VariantById);
key!(/// A category by id.
    CategoryById);
key!(/// The variants of a product.
    VariantsOfProduct);
key!(/// The images of a product.
    ImagesOfProduct);
key!(/// The categories a product is in.
    CategoriesOfProduct);
key!(/// The children of a category.
    ChildrenOfCategory);

fn unwrap_keys<K: Copy, F: Fn(K) -> i64>(keys: &[K], f: F) -> Vec<i64> {
    keys.iter().map(|k| f(*k)).collect()
}

impl Loader<ProductById> for CatalogLoader {
    type Value = Product;
    type Error = SharedError;
    async fn load(&self, keys: &[ProductById]) -> Result<HashMap<ProductById, Product>, SharedError> {
        let found = self.catalog.products_by_ids(&unwrap_keys(keys, |k| k.0), &self.visibility).await?;
        Ok(found.into_iter().map(|(id, p)| (ProductById(id), p)).collect())
    }
}

impl Loader<VariantById> for CatalogLoader {
    type Value = Variant;
    type Error = SharedError;
    async fn load(&self, keys: &[VariantById]) -> Result<HashMap<VariantById, Variant>, SharedError> {
        let found = self.catalog.variants_by_ids(&unwrap_keys(keys, |k| k.0)).await?;
        let storefront = self.visibility == Visibility::Storefront;
        Ok(found
            .into_iter()
            .filter(|(_, v)| !storefront || v.status == stockade_domain::catalog::VariantStatus::Active)
            .map(|(id, v)| (VariantById(id), v))
            .collect())
    }
}

impl Loader<CategoryById> for CatalogLoader {
    type Value = Category;
    type Error = SharedError;
    async fn load(&self, keys: &[CategoryById]) -> Result<HashMap<CategoryById, Category>, SharedError> {
        let found = self.catalog.categories_by_ids(&unwrap_keys(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, c)| (CategoryById(id), c)).collect())
    }
}

impl Loader<VariantsOfProduct> for CatalogLoader {
    type Value = Vec<Variant>;
    type Error = SharedError;
    async fn load(&self, keys: &[VariantsOfProduct]) -> Result<HashMap<VariantsOfProduct, Vec<Variant>>, SharedError> {
        let found = self.catalog.variants_by_product_ids(&unwrap_keys(keys, |k| k.0), &self.visibility).await?;
        Ok(found.into_iter().map(|(id, v)| (VariantsOfProduct(id), v)).collect())
    }
}

impl Loader<ImagesOfProduct> for CatalogLoader {
    type Value = Vec<Image>;
    type Error = SharedError;
    async fn load(&self, keys: &[ImagesOfProduct]) -> Result<HashMap<ImagesOfProduct, Vec<Image>>, SharedError> {
        let found = self.catalog.images_by_product_ids(&unwrap_keys(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, v)| (ImagesOfProduct(id), v)).collect())
    }
}

impl Loader<CategoriesOfProduct> for CatalogLoader {
    type Value = Vec<Category>;
    type Error = SharedError;
    async fn load(&self, keys: &[CategoriesOfProduct]) -> Result<HashMap<CategoriesOfProduct, Vec<Category>>, SharedError> {
        let found = self.catalog.categories_by_product_ids(&unwrap_keys(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, v)| (CategoriesOfProduct(id), v)).collect())
    }
}

impl Loader<ChildrenOfCategory> for CatalogLoader {
    type Value = Vec<Category>;
    type Error = SharedError;
    async fn load(&self, keys: &[ChildrenOfCategory]) -> Result<HashMap<ChildrenOfCategory, Vec<Category>>, SharedError> {
        let found = self.catalog.children_by_parent_ids(&unwrap_keys(keys, |k| k.0)).await?;
        Ok(found.into_iter().map(|(id, v)| (ChildrenOfCategory(id), v)).collect())
    }
}
