//! Payments: one row per payment attempt, every gateway event received (once), refunds,
//! the built-in test gateway's own ledger of intents, and the order columns they need.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    RefundedAmount,
    IssueResolvedVersion,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    Attempt,
    Gateway,
    IntentId,
    IdempotencyKey,
    Amount,
    Currency,
    Status,
    AmountReceived,
    AmountRefunded,
    ErrorCode,
    ErrorMessage,
    CheckedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GatewayEvents {
    Table,
    Id,
    Gateway,
    EventId,
    EventType,
    IntentId,
    OrderId,
    Outcome,
    Detail,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    OrderId,
    PaymentId,
    Amount,
    Restock,
    Status,
    GatewayRefundId,
    IdempotencyKey,
    Reason,
    ActorType,
    ActorId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TestGatewayIntents {
    Table,
    Id,
    IdempotencyKey,
    Amount,
    Currency,
    Status,
    Metadata,
    ErrorCode,
    ErrorMessage,
    AmountRefunded,
    CreatedAt,
    UpdatedAt,
}

const PAYMENT_STATUSES: [&str; 7] =
    ["requires_payment_method", "requires_confirmation", "requires_action", "processing", "succeeded", "failed", "canceled"];

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(on_delete).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(Table::alter().table(Orders::Table).add_column(big_integer(Orders::RefundedAmount).default(0)).to_owned())
            .await?;
        manager.alter_table(Table::alter().table(Orders::Table).add_column(integer_null(Orders::IssueResolvedVersion)).to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::OrderId))
                    .col(integer(Payments::Attempt).check(Expr::col(Payments::Attempt).gt(0)))
                    .col(string_len(Payments::Gateway, 16))
                    .col(string_len(Payments::IntentId, 255))
                    .col(string_len(Payments::IdempotencyKey, 128))
                    .col(big_integer(Payments::Amount).check(Expr::col(Payments::Amount).gte(0)))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Status, 32).check(Expr::col(Payments::Status).is_in(PAYMENT_STATUSES)))
                    .col(big_integer(Payments::AmountReceived).default(0))
                    .col(big_integer(Payments::AmountRefunded).default(0))
                    .col(string_len_null(Payments::ErrorCode, 100))
                    .col(string_len_null(Payments::ErrorMessage, 500))
                    .col(timestamp_with_time_zone_null(Payments::CheckedAt))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_payments_order",
                        (Payments::Table, Payments::OrderId),
                        (Orders::Table, Orders::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // One intent per attempt, one attempt number per order: concurrent creates of the
        // same attempt collapse into one row.
        manager
            .create_index(
                Index::create()
                    .name("uq_payments_attempt")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .col(Payments::Attempt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_payments_intent")
                    .table(Payments::Table)
                    .col(Payments::Gateway)
                    .col(Payments::IntentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_status")
                    .table(Payments::Table)
                    .col(Payments::Status)
                    .col(Payments::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(GatewayEvents::Table)
                    .col(big_pk_auto(GatewayEvents::Id))
                    .col(string_len(GatewayEvents::Gateway, 16))
                    .col(string_len(GatewayEvents::EventId, 255))
                    .col(string_len(GatewayEvents::EventType, 100))
                    .col(string_len_null(GatewayEvents::IntentId, 255))
                    .col(big_integer_null(GatewayEvents::OrderId))
                    .col(string_len(GatewayEvents::Outcome, 32))
                    .col(string(GatewayEvents::Detail).default(""))
                    .col(timestamp_with_time_zone(GatewayEvents::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        // Each event is applied once, however often it is delivered.
        manager
            .create_index(
                Index::create()
                    .name("uq_gateway_events_event")
                    .table(GatewayEvents::Table)
                    .col(GatewayEvents::Gateway)
                    .col(GatewayEvents::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_gateway_events_order")
                    .table(GatewayEvents::Table)
                    .col(GatewayEvents::OrderId)
                    .col(GatewayEvents::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(big_pk_auto(Refunds::Id))
                    .col(big_integer(Refunds::OrderId))
                    .col(big_integer(Refunds::PaymentId))
                    .col(big_integer(Refunds::Amount).check(Expr::col(Refunds::Amount).gt(0)))
                    .col(boolean(Refunds::Restock).default(false))
                    .col(string_len(Refunds::Status, 16).check(Expr::col(Refunds::Status).is_in(["pending", "succeeded", "failed"])))
                    .col(string_len_null(Refunds::GatewayRefundId, 255))
                    .col(string_len(Refunds::IdempotencyKey, 128))
                    .col(string(Refunds::Reason).default(""))
                    .col(string_len(Refunds::ActorType, 16))
                    .col(big_integer_null(Refunds::ActorId))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_refunds_order",
                        (Refunds::Table, Refunds::OrderId),
                        (Orders::Table, Orders::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_refunds_payment",
                        (Refunds::Table, Refunds::PaymentId),
                        (Payments::Table, Payments::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("uq_refunds_key").table(Refunds::Table).col(Refunds::IdempotencyKey).unique().to_owned())
            .await?;
        manager.create_index(Index::create().name("idx_refunds_order").table(Refunds::Table).col(Refunds::OrderId).to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table(TestGatewayIntents::Table)
                    .col(string_len(TestGatewayIntents::Id, 64).primary_key())
                    .col(string_len(TestGatewayIntents::IdempotencyKey, 128))
                    .col(big_integer(TestGatewayIntents::Amount))
                    .col(string_len(TestGatewayIntents::Currency, 3))
                    .col(string_len(TestGatewayIntents::Status, 32))
                    .col(json_binary(TestGatewayIntents::Metadata))
                    .col(string_len_null(TestGatewayIntents::ErrorCode, 100))
                    .col(string_len_null(TestGatewayIntents::ErrorMessage, 500))
                    .col(big_integer(TestGatewayIntents::AmountRefunded).default(0))
                    .col(timestamp_with_time_zone(TestGatewayIntents::CreatedAt))
                    .col(timestamp_with_time_zone(TestGatewayIntents::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_test_gateway_intents_key")
                    .table(TestGatewayIntents::Table)
                    .col(TestGatewayIntents::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TestGatewayIntents::Table.into_iden(),
            Refunds::Table.into_iden(),
            GatewayEvents::Table.into_iden(),
            Payments::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::IssueResolvedVersion).to_owned()).await?;
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::RefundedAmount).to_owned()).await?;
        Ok(())
    }
}
