use sea_orm::entity::prelude::*;

/// One row of the append-only stock ledger: one change to one stock level.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variant_id: i64,
    pub location_id: i64,
    pub delta_on_hand: i64,
    pub delta_reserved: i64,
    pub on_hand_after: i64,
    pub reserved_after: i64,
    pub version_after: i64,
    pub reason: String,
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub reference_type: String,
    pub reference_id: Option<String>,
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
