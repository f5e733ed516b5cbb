use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cart_id: i64,
    pub variant_id: i64,
    pub quantity: i32,
    /// The unit price when the line was added (or last acknowledged).
    pub unit_price: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
