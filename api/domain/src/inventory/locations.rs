//! Creating stock locations (reading them is in `queries`).

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, SqlErr};

use super::model::{StockLocation, now};
use super::service::InventoryService;
use crate::entity::stock_location;
use crate::error::{Error, Result};

const MAX_CODE_CHARS: usize = 32;
const MAX_NAME_CHARS: usize = 200;

impl InventoryService {
    /// Adds a stock location. `code` is a short stable key (lower-case letters, digits,
    /// `-`), unique; lower `priority` is preferred when allocating reservations.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn create_location(&self, code: &str, name: &str, priority: i32) -> Result<StockLocation> {
        let code = code.trim();
        if code.is_empty() || code.len() > MAX_CODE_CHARS || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(Error::invalid("code", format!("`code` must be 1 to {MAX_CODE_CHARS} lower-case letters, digits or dashes")));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::invalid("name", format!("`name` must be 1 to {MAX_NAME_CHARS} characters")));
        }
        if !(0..=10_000).contains(&priority) {
            return Err(Error::invalid("priority", "`priority` must be between 0 and 10000"));
        }
        let taken = || Error::invalid("code", format!("a stock location with code `{code}` already exists"));
        let txn = self.db.begin_write().await?;
        if stock_location::Entity::find().filter(stock_location::Column::Code.eq(code)).count(&*txn).await? > 0 {
            return Err(taken());
        }
        let now = now();
        let model = stock_location::ActiveModel {
            code: Set(code.to_owned()),
            name: Set(name.to_owned()),
            priority: Set(priority),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let id = match stock_location::Entity::insert(model).exec(&*txn).await {
            Ok(r) => r.last_insert_id,
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => return Err(taken()),
            Err(e) => return Err(e.into()),
        };
        txn.commit().await?;
        Ok(StockLocation { id, code: code.to_owned(), name: name.to_owned(), priority, created_at: now, updated_at: now })
    }
}
