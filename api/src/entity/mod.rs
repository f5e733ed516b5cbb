//! SeaORM entities: the storage shape of each table. Nothing outside the domain
//! services should depend on these; API types are designed separately for clients.

pub mod category;
pub mod outbox;
pub mod product;
pub mod product_category;
pub mod product_image;
pub mod reservation;
pub mod stock_level;
pub mod stock_location;
pub mod stock_movement;
pub mod variant;
