//! SeaORM entities: the storage shape of each table. Nothing outside the domain
//! services should depend on these; API types are designed separately for clients.

pub mod category;
pub mod login_throttle;
pub mod outbox;
pub mod product;
pub mod product_category;
pub mod product_image;
pub mod refresh_token;
pub mod session;
pub mod user;
pub mod variant;
