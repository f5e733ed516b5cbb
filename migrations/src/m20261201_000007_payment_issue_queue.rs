//! The failed-payment review queue as stored state: each order's current payment issue
//! (null: none) and a counter that grows with every change of it, so the change can be
//! published (outbox event `payment_issue.changed`, sequenced by that counter) and live
//! views can drop repeats and stale events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    PaymentIssue,
    PaymentIssueSeq,
}

const INDEX: &str = "ix_orders_payment_issue";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager.alter_table(Table::alter().table(Orders::Table).add_column(string_len_null(Orders::PaymentIssue, 32)).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Orders::Table).add_column(big_integer(Orders::PaymentIssueSeq).default(0)).to_owned())
            .await?;
        manager.create_index(Index::create().name(INDEX).table(Orders::Table).col(Orders::PaymentIssue).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(Orders::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::PaymentIssueSeq).to_owned()).await?;
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::PaymentIssue).to_owned()).await?;
        Ok(())
    }
}
