use sea_orm::entity::prelude::*;

/// Stock of one variant at one location. Only the inventory service writes it, always
/// with guarded statements; `0 <= reserved <= on_hand` is a CHECK constraint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_levels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variant_id: i64,
    pub location_id: i64,
    pub on_hand: i64,
    pub reserved: i64,
    /// Bumped by every change; the outbox sequence of the `stock_level` aggregate.
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
