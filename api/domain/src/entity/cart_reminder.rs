use sea_orm::entity::prelude::*;

/// One reminder step sent for an abandoned cart (unique per cart and step).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cart_id: i64,
    pub step: i32,
    /// Where the reminder went (the cart's checkout email or its customer's).
    pub email: String,
    pub created_at: DateTimeUtc,
    /// The reminder's recovery link works until then.
    pub link_expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
