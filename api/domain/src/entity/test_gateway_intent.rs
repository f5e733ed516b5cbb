use sea_orm::entity::prelude::*;

/// The built-in test gateway's side of a payment intent (what Stripe would keep).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_gateway_intents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub idempotency_key: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub amount_refunded: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
