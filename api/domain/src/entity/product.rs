use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub description: String,
    pub brand: String,
    /// JSON array of strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Json,
    pub status: String,
    pub currency: String,
    /// Lowest and highest active variant price (minor units), kept in step with the
    /// variants by the catalog service so listings can sort and filter without joins.
    pub price_min: i64,
    pub price_max: i64,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
