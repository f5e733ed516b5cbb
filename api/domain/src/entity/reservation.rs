use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variant_id: i64,
    pub location_id: i64,
    pub quantity: i64,
    /// `cart`, `checkout` or `order`.
    pub owner_type: String,
    pub owner_id: String,
    /// `active`, `committed`, `released` or `expired`.
    pub status: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
