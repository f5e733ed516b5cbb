use sea_orm::entity::prelude::*;

/// One term of a synonym set (normalised: lower case, words joined by one space or
/// hyphen). Unique across all sets.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_synonym_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub synonym_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    #[sea_orm(unique)]
    pub term: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
