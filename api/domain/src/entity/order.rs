use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub status: String,
    pub customer_id: Option<i64>,
    pub email: String,
    /// SHA-256 of the order token guests use to see their order.
    pub token_hash: String,
    pub cart_id: i64,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub tax: i64,
    pub total: i64,
    pub coupon_code: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub shipping_address: Json,
    pub payment_deadline: DateTimeUtc,
    pub version: i32,
    /// Minor units refunded so far (by succeeded refunds).
    pub refunded_amount: i64,
    /// The version at which staff marked the order's payment issue resolved; the issue
    /// shows again once the order changes after that.
    pub issue_resolved_version: Option<i32>,
    /// The order's payment issue as the review queue holds it (`failed`,
    /// `requires_action`, ...; null: none), kept by `orders::payment_issue`.
    pub payment_issue: Option<String>,
    /// Grows with every change of `payment_issue` (the sequence of its events).
    pub payment_issue_seq: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
