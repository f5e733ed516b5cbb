use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub coupon_id: i64,
    pub order_id: i64,
    /// `customer:<id>` or `email:<address>` for guests.
    pub customer_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
