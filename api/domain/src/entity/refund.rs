use sea_orm::entity::prelude::*;

/// A refund staff asked for, and what the gateway made of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub payment_id: i64,
    pub amount: i64,
    /// Put the order's units back on sale when the refund succeeds.
    pub restock: bool,
    pub status: String,
    pub gateway_refund_id: Option<String>,
    pub idempotency_key: String,
    pub reason: String,
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
