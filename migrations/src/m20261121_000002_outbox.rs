//! The transactional outbox: events written in the same transaction as the change they
//! describe, delivered to subscribers afterwards by the publisher.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    AggregateType,
    AggregateId,
    Sequence,
    EventType,
    Payload,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len(Outbox::AggregateType, 32))
                    .col(string_len(Outbox::AggregateId, 64))
                    .col(big_integer(Outbox::Sequence).check(Expr::col(Outbox::Sequence).gte(1)))
                    .col(string_len(Outbox::EventType, 64))
                    .col(json_binary(Outbox::Payload))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        // One event per aggregate version: a duplicate write is a bug, caught here.
        manager
            .create_index(
                Index::create()
                    .name("uq_outbox_aggregate_sequence")
                    .table(Outbox::Table)
                    .col(Outbox::AggregateType)
                    .col(Outbox::AggregateId)
                    .col(Outbox::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The publisher scans undelivered rows in id order; pruning scans delivered ones by age.
        manager
            .create_index(
                Index::create().name("idx_outbox_undelivered").table(Outbox::Table).col(Outbox::DeliveredAt).col(Outbox::Id).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Outbox::Table).if_exists().to_owned()).await
    }
}
