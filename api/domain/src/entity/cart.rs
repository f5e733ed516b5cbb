use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "carts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// SHA-256 of the guest cart token (customer carts have none).
    pub token_hash: Option<String>,
    pub customer_id: Option<i64>,
    pub status: String,
    pub email: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub shipping_address: Option<Json>,
    pub coupon_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Idle carts expire (and release their holds) after this.
    pub expires_at: DateTimeUtc,
    /// The last reminder step sent for this cart (0 = none).
    pub reminders_sent: i32,
    /// The reminder whose recovery link made this cart, if one did.
    pub recovered_from: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
