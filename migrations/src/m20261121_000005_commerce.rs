//! Carts, coupons and orders (with their timeline).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    TokenHash,
    CustomerId,
    Status,
    Email,
    ShippingAddress,
    CouponId,
    Version,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum CartLines {
    Table,
    Id,
    CartId,
    VariantId,
    Quantity,
    UnitPrice,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
    Code,
    Description,
    Kind,
    Value,
    MinOrderValue,
    UsageLimit,
    PerCustomerLimit,
    TimesUsed,
    ValidFrom,
    ValidUntil,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CouponProducts {
    Table,
    CouponId,
    ProductId,
}

#[derive(DeriveIden)]
enum CouponCategories {
    Table,
    CouponId,
    CategoryId,
}

#[derive(DeriveIden)]
enum CouponRedemptions {
    Table,
    Id,
    CouponId,
    OrderId,
    CustomerKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Status,
    CustomerId,
    Email,
    TokenHash,
    CartId,
    IdempotencyKey,
    Currency,
    Subtotal,
    Discount,
    Shipping,
    Tax,
    Total,
    CouponCode,
    ShippingAddress,
    PaymentDeadline,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    VariantId,
    ProductId,
    Sku,
    ProductName,
    VariantTitle,
    Attributes,
    UnitPrice,
    Quantity,
    LineTotal,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    Kind,
    FromStatus,
    ToStatus,
    ActorType,
    ActorId,
    Cause,
    Data,
    CreatedAt,
}

const ORDER_STATUSES: [&str; 10] = [
    "pending_payment",
    "payment_failed",
    "paid",
    "needs_attention",
    "fulfilled",
    "shipped",
    "delivered",
    "cancelled",
    "expired",
    "refunded",
];

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
        manager
            .create_table(
                Table::create()
                    .table(Coupons::Table)
                    .col(big_pk_auto(Coupons::Id))
                    .col(string_len(Coupons::Code, 64))
                    .col(string(Coupons::Description).default(""))
                    .col(string_len(Coupons::Kind, 16).check(Expr::col(Coupons::Kind).is_in(["percentage", "fixed"])))
                    // Percentage: parts per million of the eligible subtotal; fixed: minor units.
                    .col(big_integer(Coupons::Value).check(Expr::col(Coupons::Value).gt(0)))
                    .col(big_integer(Coupons::MinOrderValue).default(0).check(Expr::col(Coupons::MinOrderValue).gte(0)))
                    .col(integer_null(Coupons::UsageLimit).check(Expr::col(Coupons::UsageLimit).gte(0)))
                    .col(integer_null(Coupons::PerCustomerLimit).check(Expr::col(Coupons::PerCustomerLimit).gte(0)))
                    .col(integer(Coupons::TimesUsed).default(0).check(Expr::col(Coupons::TimesUsed).gte(0)))
                    .col(timestamp_with_time_zone_null(Coupons::ValidFrom))
                    .col(timestamp_with_time_zone_null(Coupons::ValidUntil))
                    .col(boolean(Coupons::Active).default(true))
                    .col(integer(Coupons::Version).default(1))
                    .col(timestamp_with_time_zone(Coupons::CreatedAt))
                    .col(timestamp_with_time_zone(Coupons::UpdatedAt))
                    // The redemption counter can never pass the limit, whatever the race.
                    .check(Expr::col(Coupons::UsageLimit).is_null().or(Expr::col(Coupons::TimesUsed).lte(Expr::col(Coupons::UsageLimit))))
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("uq_coupons_code").table(Coupons::Table).col(Coupons::Code).unique().to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(CouponProducts::Table)
                    .col(big_integer(CouponProducts::CouponId))
                    .col(big_integer(CouponProducts::ProductId))
                    .primary_key(Index::create().col(CouponProducts::CouponId).col(CouponProducts::ProductId))
                    .foreign_key(&mut fk(
                        "fk_coupon_products_coupon",
                        (CouponProducts::Table, CouponProducts::CouponId),
                        (Coupons::Table, Coupons::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_products_product",
                        (CouponProducts::Table, CouponProducts::ProductId),
                        (Alias::new("products"), Alias::new("id")),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CouponCategories::Table)
                    .col(big_integer(CouponCategories::CouponId))
                    .col(big_integer(CouponCategories::CategoryId))
                    .primary_key(Index::create().col(CouponCategories::CouponId).col(CouponCategories::CategoryId))
                    .foreign_key(&mut fk(
                        "fk_coupon_categories_coupon",
                        (CouponCategories::Table, CouponCategories::CouponId),
                        (Coupons::Table, Coupons::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_categories_category",
                        (CouponCategories::Table, CouponCategories::CategoryId),
                        (Alias::new("categories"), Alias::new("id")),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Carts::Table)
                    .col(big_pk_auto(Carts::Id))
                    .col(string_len_null(Carts::TokenHash, 64))
                    .col(big_integer_null(Carts::CustomerId))
                    .col(string_len(Carts::Status, 16).check(Expr::col(Carts::Status).is_in(["active", "merged", "converted", "expired"])))
                    .col(string_len_null(Carts::Email, 254))
                    .col(json_binary_null(Carts::ShippingAddress))
                    .col(big_integer_null(Carts::CouponId))
                    .col(integer(Carts::Version).default(1))
                    .col(timestamp_with_time_zone(Carts::CreatedAt))
                    .col(timestamp_with_time_zone(Carts::UpdatedAt))
                    .col(timestamp_with_time_zone(Carts::ExpiresAt))
                    .foreign_key(&mut fk(
                        "fk_carts_customer",
                        (Carts::Table, Carts::CustomerId),
                        (Alias::new("users"), Alias::new("id")),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_carts_coupon",
                        (Carts::Table, Carts::CouponId),
                        (Coupons::Table, Coupons::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("uq_carts_token").table(Carts::Table).col(Carts::TokenHash).unique().to_owned()).await?;
        manager
            .create_index(Index::create().name("idx_carts_expiry").table(Carts::Table).col(Carts::Status).col(Carts::ExpiresAt).to_owned())
            .await?;
        // One active cart per customer, enforced by the database.
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX uq_carts_active_customer ON carts (customer_id) WHERE status = 'active'")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CartLines::Table)
                    .col(big_pk_auto(CartLines::Id))
                    .col(big_integer(CartLines::CartId))
                    .col(big_integer(CartLines::VariantId))
                    .col(integer(CartLines::Quantity).check(Expr::col(CartLines::Quantity).gt(0)))
                    .col(big_integer(CartLines::UnitPrice).check(Expr::col(CartLines::UnitPrice).gte(0)))
                    .col(timestamp_with_time_zone(CartLines::CreatedAt))
                    .col(timestamp_with_time_zone(CartLines::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_cart_lines_cart",
                        (CartLines::Table, CartLines::CartId),
                        (Carts::Table, Carts::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_cart_lines_variant",
                        (CartLines::Table, CartLines::VariantId),
                        (Alias::new("variants"), Alias::new("id")),
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_cart_lines_variant")
                    .table(CartLines::Table)
                    .col(CartLines::CartId)
                    .col(CartLines::VariantId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(string_len(Orders::Status, 20).check(Expr::col(Orders::Status).is_in(ORDER_STATUSES)))
                    .col(big_integer_null(Orders::CustomerId))
                    .col(string_len(Orders::Email, 254))
                    .col(string_len(Orders::TokenHash, 64))
                    .col(big_integer(Orders::CartId))
                    .col(string_len(Orders::IdempotencyKey, 128))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::Subtotal).check(Expr::col(Orders::Subtotal).gte(0)))
                    .col(big_integer(Orders::Discount).check(Expr::col(Orders::Discount).gte(0)))
                    .col(big_integer(Orders::Shipping).check(Expr::col(Orders::Shipping).gte(0)))
                    .col(big_integer(Orders::Tax).check(Expr::col(Orders::Tax).gte(0)))
                    .col(big_integer(Orders::Total).check(Expr::col(Orders::Total).gte(0)))
                    .col(string_len_null(Orders::CouponCode, 64))
                    .col(json_binary(Orders::ShippingAddress))
                    .col(timestamp_with_time_zone(Orders::PaymentDeadline))
                    .col(integer(Orders::Version).default(1))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_orders_customer",
                        (Orders::Table, Orders::CustomerId),
                        (Alias::new("users"), Alias::new("id")),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // The same checkout request, however often sent, makes one order.
        manager
            .create_index(
                Index::create().name("uq_orders_idempotency_key").table(Orders::Table).col(Orders::IdempotencyKey).unique().to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("uq_orders_token").table(Orders::Table).col(Orders::TokenHash).unique().to_owned())
            .await?;
        manager
            .create_index(
                Index::create().name("idx_orders_customer").table(Orders::Table).col(Orders::CustomerId).col(Orders::Id).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_status_deadline")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::PaymentDeadline)
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_orders_created").table(Orders::Table).col(Orders::CreatedAt).to_owned()).await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(big_pk_auto(OrderLines::Id))
                    .col(big_integer(OrderLines::OrderId))
                    .col(big_integer(OrderLines::VariantId))
                    .col(big_integer(OrderLines::ProductId))
                    .col(string(OrderLines::Sku))
                    .col(string(OrderLines::ProductName))
                    .col(string(OrderLines::VariantTitle))
                    .col(json_binary(OrderLines::Attributes))
                    .col(big_integer(OrderLines::UnitPrice).check(Expr::col(OrderLines::UnitPrice).gte(0)))
                    .col(integer(OrderLines::Quantity).check(Expr::col(OrderLines::Quantity).gt(0)))
                    .col(big_integer(OrderLines::LineTotal).check(Expr::col(OrderLines::LineTotal).gte(0)))
                    .foreign_key(&mut fk(
                        "fk_order_lines_order",
                        (OrderLines::Table, OrderLines::OrderId),
                        (Orders::Table, Orders::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_order_lines_order").table(OrderLines::Table).col(OrderLines::OrderId).to_owned())
            .await?;
        manager
            .create_index(Index::create().name("idx_order_lines_variant").table(OrderLines::Table).col(OrderLines::VariantId).to_owned())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .col(big_pk_auto(OrderEvents::Id))
                    .col(big_integer(OrderEvents::OrderId))
                    .col(string_len(OrderEvents::Kind, 32))
                    .col(string_len_null(OrderEvents::FromStatus, 20))
                    .col(string_len_null(OrderEvents::ToStatus, 20))
                    .col(string_len(OrderEvents::ActorType, 16))
                    .col(big_integer_null(OrderEvents::ActorId))
                    .col(string(OrderEvents::Cause).default(""))
                    .col(json_binary_null(OrderEvents::Data))
                    .col(timestamp_with_time_zone(OrderEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_order_events_order",
                        (OrderEvents::Table, OrderEvents::OrderId),
                        (Orders::Table, Orders::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_events_order")
                    .table(OrderEvents::Table)
                    .col(OrderEvents::OrderId)
                    .col(OrderEvents::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CouponRedemptions::Table)
                    .col(big_pk_auto(CouponRedemptions::Id))
                    .col(big_integer(CouponRedemptions::CouponId))
                    .col(big_integer(CouponRedemptions::OrderId))
                    .col(string_len(CouponRedemptions::CustomerKey, 300))
                    .col(timestamp_with_time_zone(CouponRedemptions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_coupon_redemptions_coupon",
                        (CouponRedemptions::Table, CouponRedemptions::CouponId),
                        (Coupons::Table, Coupons::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_coupon_redemptions_order",
                        (CouponRedemptions::Table, CouponRedemptions::OrderId),
                        (Orders::Table, Orders::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_coupon_redemptions_customer")
                    .table(CouponRedemptions::Table)
                    .col(CouponRedemptions::CouponId)
                    .col(CouponRedemptions::CustomerKey)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CouponRedemptions::Table.into_iden(),
            OrderEvents::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Orders::Table.into_iden(),
            CartLines::Table.into_iden(),
            Carts::Table.into_iden(),
            CouponCategories::Table.into_iden(),
            CouponProducts::Table.into_iden(),
            Coupons::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
