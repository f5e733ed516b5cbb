//! Abandoned carts: reminders, their webhook deliveries, recovery links and opt-outs.
//!
//! - `carts.reminders_sent`: the last reminder step sent for the cart (0 = none). The
//!   reminder pass moves it with a guarded update, so a step is sent once even with
//!   several instances; `cart_reminders` has one row per (cart, step) to back that.
//! - `carts.recovered_from`: the reminder whose recovery link made this cart.
//! - `cart_recoveries`: one row per (reminder, device) that used its link.
//! - `webhook_deliveries`: outgoing signed webhooks, written in the transaction of
//!   what they report and sent (with retries) by a background pass: the delivery log.
//! - `reminder_opt_outs`: addresses that asked for no reminders (lower case).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    Status,
    UpdatedAt,
    RemindersSent,
    RecoveredFrom,
}

#[derive(DeriveIden)]
enum CartReminders {
    Table,
    Id,
    CartId,
    Step,
    Email,
    CreatedAt,
    LinkExpiresAt,
}

#[derive(DeriveIden)]
enum CartRecoveries {
    Table,
    Id,
    ReminderId,
    DeviceHash,
    CartId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    Topic,
    Reference,
    Url,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    LastStatus,
    LastError,
    DeliveredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReminderOptOuts {
    Table,
    Email,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Carts::Table)
                    .add_column(integer(Carts::RemindersSent).default(0).check(Expr::col(Carts::RemindersSent).gte(0)))
                    .to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table(Carts::Table).add_column(big_integer_null(Carts::RecoveredFrom)).to_owned()).await?;
        manager
            .create_index(
                Index::create().name("ix_carts_status_updated_at").table(Carts::Table).col(Carts::Status).col(Carts::UpdatedAt).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CartReminders::Table)
                    .col(big_pk_auto(CartReminders::Id))
                    .col(big_integer(CartReminders::CartId))
                    .col(integer(CartReminders::Step).check(Expr::col(CartReminders::Step).gte(1)))
                    .col(string_len(CartReminders::Email, 320))
                    .col(timestamp_with_time_zone(CartReminders::CreatedAt))
                    .col(timestamp_with_time_zone(CartReminders::LinkExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cart_reminders_cart")
                            .from(CartReminders::Table, CartReminders::CartId)
                            .to(Carts::Table, Carts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_cart_reminders_cart_step")
                    .table(CartReminders::Table)
                    .col(CartReminders::CartId)
                    .col(CartReminders::Step)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_cart_reminders_created_at").table(CartReminders::Table).col(CartReminders::CreatedAt).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CartRecoveries::Table)
                    .col(big_pk_auto(CartRecoveries::Id))
                    .col(big_integer(CartRecoveries::ReminderId))
                    .col(string_len(CartRecoveries::DeviceHash, 64))
                    .col(big_integer(CartRecoveries::CartId))
                    .col(timestamp_with_time_zone(CartRecoveries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cart_recoveries_reminder")
                            .from(CartRecoveries::Table, CartRecoveries::ReminderId)
                            .to(CartReminders::Table, CartReminders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_cart_recoveries_reminder_device")
                    .table(CartRecoveries::Table)
                    .col(CartRecoveries::ReminderId)
                    .col(CartRecoveries::DeviceHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(string_len(WebhookDeliveries::Topic, 64))
                    .col(string_len(WebhookDeliveries::Reference, 128))
                    .col(text(WebhookDeliveries::Url))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LastAttemptAt))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_reference")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Reference)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderOptOuts::Table)
                    .col(string_len(ReminderOptOuts::Email, 320).primary_key())
                    .col(timestamp_with_time_zone(ReminderOptOuts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReminderOptOuts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            CartRecoveries::Table.into_iden(),
            CartReminders::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        manager.drop_index(Index::drop().name("ix_carts_status_updated_at").table(Carts::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Carts::Table).drop_column(Carts::RecoveredFrom).to_owned()).await?;
        manager.alter_table(Table::alter().table(Carts::Table).drop_column(Carts::RemindersSent).to_owned()).await?;
        Ok(())
    }
}
