use sea_orm::entity::prelude::*;

/// One payment attempt of an order: one intent at the gateway.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub attempt: i32,
    pub gateway: String,
    pub intent_id: String,
    pub idempotency_key: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// When reconciliation last claimed this attempt.
    pub checked_at: Option<DateTimeUtc>,
    /// Cancelling the intent at the gateway: null (not asked), `requested` (to do;
    /// reconciliation retries it), `done` (it can take no more money).
    pub void_state: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
