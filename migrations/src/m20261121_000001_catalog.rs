//! Catalog: categories (a tree with a materialised path), products, their images and
//! category links, and variants (SKUs) with attributes and prices in minor units.
//! Full-text search: a generated `tsvector` + GIN index on Postgres, an FTS5 external
//! content table kept in sync by triggers on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    ParentId,
    Slug,
    Name,
    Description,
    Position,
    Path,
    Version,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Slug,
    Name,
    Description,
    Brand,
    Tags,
    Status,
    Currency,
    PriceMin,
    PriceMax,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProductCategories {
    Table,
    ProductId,
    CategoryId,
    Position,
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    Id,
    ProductId,
    Url,
    AltText,
    Position,
}

#[derive(DeriveIden)]
enum Variants {
    Table,
    Id,
    ProductId,
    Sku,
    Title,
    Attributes,
    PriceAmount,
    CompareAtAmount,
    Currency,
    Position,
    Status,
    Version,
}

fn timestamps(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(timestamp_with_time_zone(Alias::new("created_at"))).col(timestamp_with_time_zone(Alias::new("updated_at")))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Categories::Table)
                        .col(big_pk_auto(Categories::Id))
                        .col(big_integer_null(Categories::ParentId))
                        .col(string_uniq(Categories::Slug))
                        .col(string(Categories::Name))
                        .col(text(Categories::Description).default(""))
                        .col(integer(Categories::Position).default(0))
                        .col(string(Categories::Path))
                        .col(integer(Categories::Version).default(1).check(Expr::col(Categories::Version).gte(1)))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_categories_parent")
                                .from(Categories::Table, Categories::ParentId)
                                .to(Categories::Table, Categories::Id)
                                .on_delete(ForeignKeyAction::Restrict),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_categories_parent").table(Categories::Table).col(Categories::ParentId).to_owned())
            .await?;
        manager.create_index(Index::create().name("idx_categories_path").table(Categories::Table).col(Categories::Path).to_owned()).await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Products::Table)
                        .col(big_pk_auto(Products::Id))
                        .col(string_uniq(Products::Slug))
                        .col(string(Products::Name))
                        .col(text(Products::Description).default(""))
                        .col(string(Products::Brand).default(""))
                        .col(json_binary(Products::Tags))
                        .col(string_len(Products::Status, 16).check(Expr::col(Products::Status).is_in(["active", "draft", "archived"])))
                        .col(string_len(Products::Currency, 3))
                        .col(big_integer(Products::PriceMin).default(0).check(Expr::col(Products::PriceMin).gte(0)))
                        .col(
                            big_integer(Products::PriceMax)
                                .default(0)
                                .check(Expr::col(Products::PriceMax).gte(Expr::col(Products::PriceMin))),
                        )
                        .col(integer(Products::Version).default(1).check(Expr::col(Products::Version).gte(1))),
                )
                .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_products_status_created", vec![Products::Status, Products::CreatedAt]),
            ("idx_products_status_name", vec![Products::Status, Products::Name]),
            ("idx_products_status_price", vec![Products::Status, Products::PriceMin]),
            ("idx_products_brand", vec![Products::Brand]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Products::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProductCategories::Table)
                    .col(big_integer(ProductCategories::ProductId))
                    .col(big_integer(ProductCategories::CategoryId))
                    .col(integer(ProductCategories::Position).default(0))
                    .primary_key(Index::create().col(ProductCategories::ProductId).col(ProductCategories::CategoryId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_categories_product")
                            .from(ProductCategories::Table, ProductCategories::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_categories_category")
                            .from(ProductCategories::Table, ProductCategories::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_categories_category")
                    .table(ProductCategories::Table)
                    .col(ProductCategories::CategoryId)
                    .col(ProductCategories::ProductId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProductImages::Table)
                    .col(big_pk_auto(ProductImages::Id))
                    .col(big_integer(ProductImages::ProductId))
                    .col(string_len(ProductImages::Url, 2048))
                    .col(string(ProductImages::AltText).default(""))
                    .col(integer(ProductImages::Position).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_images_product")
                            .from(ProductImages::Table, ProductImages::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_images_product")
                    .table(ProductImages::Table)
                    .col(ProductImages::ProductId)
                    .col(ProductImages::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Variants::Table)
                        .col(big_pk_auto(Variants::Id))
                        .col(big_integer(Variants::ProductId))
                        .col(string_uniq(Variants::Sku))
                        .col(string(Variants::Title))
                        .col(json_binary(Variants::Attributes))
                        .col(big_integer(Variants::PriceAmount).check(Expr::col(Variants::PriceAmount).gte(0)))
                        .col(big_integer_null(Variants::CompareAtAmount).check(Expr::col(Variants::CompareAtAmount).gte(0)))
                        .col(string_len(Variants::Currency, 3))
                        .col(integer(Variants::Position).default(0))
                        .col(string_len(Variants::Status, 16).check(Expr::col(Variants::Status).is_in(["active", "archived"])))
                        .col(integer(Variants::Version).default(1).check(Expr::col(Variants::Version).gte(1)))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_variants_product")
                                .from(Variants::Table, Variants::ProductId)
                                .to(Products::Table, Products::Id)
                                .on_delete(ForeignKeyAction::Restrict),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_variants_product")
                    .table(Variants::Table)
                    .col(Variants::ProductId)
                    .col(Variants::Position)
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') ||
                        setweight(to_tsvector('english'::regconfig, coalesce(brand, '')), 'B') ||
                        setweight(jsonb_to_tsvector('english'::regconfig, tags, '[\"string\"]'), 'B') ||
                        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
                    ) STORED;
                    CREATE INDEX idx_products_search ON products USING GIN (search);
                    CREATE INDEX idx_variants_color ON variants ((attributes ->> 'color'));
                    CREATE INDEX idx_variants_size ON variants ((attributes ->> 'size'));",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE products_fts USING fts5(
                        name, brand, tags, description,
                        content='products', content_rowid='id',
                        tokenize='porter unicode61 remove_diacritics 2'
                    );
                    CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
                        INSERT INTO products_fts(rowid, name, brand, tags, description)
                        VALUES (new.id, new.name, new.brand, new.tags, new.description);
                    END;
                    CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
                        INSERT INTO products_fts(products_fts, rowid, name, brand, tags, description)
                        VALUES ('delete', old.id, old.name, old.brand, old.tags, old.description);
                    END;
                    CREATE TRIGGER products_fts_au AFTER UPDATE OF name, brand, tags, description ON products BEGIN
                        INSERT INTO products_fts(products_fts, rowid, name, brand, tags, description)
                        VALUES ('delete', old.id, old.name, old.brand, old.tags, old.description);
                        INSERT INTO products_fts(rowid, name, brand, tags, description)
                        VALUES (new.id, new.name, new.brand, new.tags, new.description);
                    END;
                    CREATE INDEX idx_variants_color ON variants ((attributes ->> 'color'));
                    CREATE INDEX idx_variants_size ON variants ((attributes ->> 'size'));",
                )
                .await?;
            }
            other => return Err(DbErr::Migration(format!("unsupported database backend {other:?}"))),
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager.get_connection().execute_unprepared("DROP TABLE IF EXISTS products_fts").await?;
        }
        for table in [
            Variants::Table.into_iden(),
            ProductImages::Table.into_iden(),
            ProductCategories::Table.into_iden(),
            Products::Table.into_iden(),
            Categories::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
