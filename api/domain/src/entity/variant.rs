use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "variants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    #[sea_orm(unique)]
    pub sku: String,
    pub title: String,
    /// JSON object of attribute name (lower case) to value, e.g. `{"color":"Navy","size":"M"}`.
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    pub price_amount: i64,
    pub compare_at_amount: Option<i64>,
    pub currency: String,
    pub position: i32,
    pub status: String,
    pub version: i32,
    /// Low-stock alert level; `None` means the configured default.
    pub low_stock_threshold: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
