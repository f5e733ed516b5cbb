use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub variant_id: i64,
    pub product_id: i64,
    pub sku: String,
    pub product_name: String,
    pub variant_title: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub attributes: Json,
    pub unit_price: i64,
    pub quantity: i32,
    pub line_total: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
