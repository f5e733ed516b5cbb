//! SeaORM entities: the storage shape of each table. Nothing outside the domain
//! services should depend on these; API types are designed separately for clients.

pub mod cart;
pub mod cart_line;
pub mod cart_recovery;
pub mod cart_reminder;
pub mod category;
pub mod coupon;
pub mod coupon_category;
pub mod coupon_product;
pub mod coupon_redemption;
pub mod gateway_event;
pub mod login_throttle;
pub mod order;
pub mod order_event;
pub mod order_line;
pub mod outbox;
pub mod payment;
pub mod product;
pub mod product_category;
pub mod product_image;
pub mod refresh_token;
pub mod refund;
pub mod reminder_opt_out;
pub mod reservation;
pub mod search_synonym;
pub mod search_synonym_term;
pub mod search_word;
pub mod session;
pub mod stock_level;
pub mod stock_location;
pub mod stock_movement;
pub mod test_gateway_intent;
pub mod user;
pub mod variant;
pub mod webhook_delivery;
