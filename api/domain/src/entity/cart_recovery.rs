use sea_orm::entity::prelude::*;

/// A recovery link used on one device (unique per reminder and device).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_recoveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub reminder_id: i64,
    /// SHA-256 of the device id the storefront sent.
    pub device_hash: String,
    /// The cart the link restored.
    pub cart_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
