//! Account types: parsed email addresses, roles, users, and who is asking (`Viewer`).

use std::fmt;

use chrono::{DateTime, Utc};

use crate::entity::user;
use crate::error::{Error, Result};

/// A normalised email address: trimmed, lower case, plausibly deliverable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self> {
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| Error::invalid("email", format!("'{}' is not a valid email address: {why}", raw.trim()));
        if email.is_empty() {
            return Err(Error::invalid("email", "email is required"));
        }
        if email.len() > 254 {
            return Err(invalid("longer than 254 characters"));
        }
        let Some((local, domain)) = email.split_once('@') else { return Err(invalid("it has no @")) };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(invalid("the part before @ must be 1 to 64 characters"));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains spaces"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
            return Err(invalid("the domain must look like example.com"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user may do. Each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "customer" => Ok(Role::Customer),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            other => Err(Error::Internal(anyhow::anyhow!("unknown role in database: {other}"))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Active,
    /// Invited by an admin; becomes active when the invite is accepted.
    Invited,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Invited => "invited",
            UserStatus::Disabled => "disabled",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(UserStatus::Active),
            "invited" => Ok(UserStatus::Invited),
            "disabled" => Ok(UserStatus::Disabled),
            other => Err(Error::Internal(anyhow::anyhow!("unknown user status in database: {other}"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<user::Model> for User {
    type Error = Error;
    fn try_from(m: user::Model) -> Result<Self> {
        Ok(User {
            id: m.id,
            email: m.email,
            name: m.name,
            role: Role::parse(&m.role)?,
            status: UserStatus::parse(&m.status)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
pub fn parse_name(raw: &str, field: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::invalid(field, "name is required"));
    }
    if name.chars().count() > 200 {
        return Err(Error::invalid(field, "name is longer than 200 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(field, "name contains control characters"));
    }
    Ok(name.to_owned())
}

/// Someone signed in, as established for this request from a valid access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    /// The role now (read from the database, so role changes apply at once).
    pub role: Role,
    pub session_id: String,
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    SignedIn(SignedIn),
}

impl Viewer {
    pub fn signed_in(&self) -> Option<&SignedIn> {
        match self {
            Viewer::SignedIn(s) => Some(s),
            Viewer::Anonymous => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.signed_in().map(|s| s.role)
    }

    pub fn is_staff(&self) -> bool {
        self.role() >= Some(Role::Staff)
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self, Viewer::Anonymous)
    }
}

/// Where a request came from, recorded on sessions and used for throttling.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_and_validates_emails() {
        assert_eq!(Email::parse("  Ada.Lovelace@Example.COM ").unwrap().as_str(), "ada.lovelace@example.com");
        for bad in ["", "plain", "a@b", "@example.com", "a@@example.com", "a b@example.com", "a@-x.com", "a@x..com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Staff && Role::Staff > Role::Customer);
        let staff = Viewer::SignedIn(SignedIn { user_id: 1, role: Role::Staff, session_id: "s".into() });
        assert!(staff.is_staff());
        assert!(!Viewer::Anonymous.is_staff());
    }

    proptest! {
        /// Addresses built to be valid, in any case and with surrounding spaces, all
        /// parse to the trimmed lower-case address.
        #[test]
        fn valid_addresses_parse_to_their_trimmed_lower_case_form(
            local in "[A-Za-z0-9][A-Za-z0-9._+-]{0,30}",
            labels in proptest::collection::vec("[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", 1..4),
            tld in "[A-Za-z]{2,6}",
            (before, after) in (" {0,3}", "[ \t]{0,3}"),
        ) {
            let address = format!("{local}@{}.{tld}", labels.join("."));
            let email = Email::parse(&format!("{before}{address}{after}")).unwrap();
            prop_assert_eq!(email.as_str(), address.to_lowercase());
        }

        /// Anything at all: what parses is trimmed, lower case and bounded; nothing panics.
        #[test]
        fn arbitrary_text_never_parses_to_an_unnormalised_address(raw in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(email.as_str(), email.as_str().trim());
                prop_assert_eq!(email.as_str().to_lowercase(), email.as_str());
                prop_assert!(email.as_str().len() <= 254);
            }
        }
    }
}
