use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub description: String,
    pub kind: String,
    /// Percentage: parts per million; fixed: minor units.
    pub value: i64,
    pub min_order_value: i64,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub times_used: i32,
    pub valid_from: Option<DateTimeUtc>,
    pub valid_until: Option<DateTimeUtc>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
