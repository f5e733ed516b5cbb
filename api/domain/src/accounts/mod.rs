//! Accounts and authentication: customers, staff and admins; passwords (argon2id);
//! short-lived access tokens (JWT) and rotating refresh tokens stored hashed;
//! throttling of failed sign-ins.

mod model;
pub mod password;
mod service;
mod sessions;
mod settings;
pub mod throttle;
pub mod tokens;
mod users;

pub use model::{ClientInfo, Email, Role, SignedIn, User, UserStatus, Viewer, parse_name};
pub use service::{AccountService, AccountsPolicy, PasswordReset, SignIn, TokenPair, Unlocked, UserFilter};
pub use settings::AuthConfig;
