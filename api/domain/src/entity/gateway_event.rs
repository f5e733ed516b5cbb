use sea_orm::entity::prelude::*;

/// A gateway event as received (once per gateway and event id) and what it did.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gateway_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub gateway: String,
    pub event_id: String,
    pub event_type: String,
    pub intent_id: Option<String>,
    pub order_id: Option<i64>,
    pub outcome: String,
    pub detail: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
