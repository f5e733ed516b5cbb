//! Voiding payment attempts at the gateway as stored work. A declined intent is failed
//! here but still payable at Stripe (`requires_payment_method`), so once an order is
//! paid, cancelled or expired, or the buyer starts a new attempt, every older attempt
//! that could still take money is cancelled there. `void_state` is that work: null
//! (nothing asked), `requested` (to be cancelled at the gateway: reconciliation retries
//! it until the gateway confirms), `done` (the gateway confirmed it can take no more).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    VoidState,
}

const INDEX: &str = "ix_payments_void_state";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Payments::Table).add_column(string_len_null(Payments::VoidState, 16)).to_owned()).await?;
        manager.create_index(Index::create().name(INDEX).table(Payments::Table).col(Payments::VoidState).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(Payments::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::VoidState).to_owned()).await?;
        Ok(())
    }
}
