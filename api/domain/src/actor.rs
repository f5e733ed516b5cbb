//! Who did something: recorded with every stock movement (and, later, every order
//! transition). The API layer maps the authenticated viewer to an [`Actor`]; background
//! jobs act as [`Actor::System`].

/// The party responsible for a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// Stockade itself: the reservation sweeper, seeding, scheduled jobs.
    System,
    /// A staff user (admin app).
    Staff { user_id: i64 },
    /// A signed-in customer (storefront).
    Customer { user_id: i64 },
    /// An anonymous shopper (guest cart or checkout).
    Guest,
    /// The payment gateway (a verified webhook event, or what reconciliation found).
    Gateway,
}

impl Actor {
    /// The stored form: actor type (`system`, `staff`, `customer`, `guest`, `gateway`) and user id.
    pub fn parts(&self) -> (&'static str, Option<i64>) {
        match *self {
            Actor::System => ("system", None),
            Actor::Staff { user_id } => ("staff", Some(user_id)),
            Actor::Customer { user_id } => ("customer", Some(user_id)),
            Actor::Guest => ("guest", None),
            Actor::Gateway => ("gateway", None),
        }
    }

    /// The inverse of [`parts`](Self::parts); `None` for an unknown type or a missing id.
    pub fn from_parts(kind: &str, user_id: Option<i64>) -> Option<Self> {
        match (kind, user_id) {
            ("system", _) => Some(Actor::System),
            ("guest", _) => Some(Actor::Guest),
            ("gateway", _) => Some(Actor::Gateway),
            ("staff", Some(user_id)) => Some(Actor::Staff { user_id }),
            ("customer", Some(user_id)) => Some(Actor::Customer { user_id }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_round_trip() {
        for actor in [Actor::System, Actor::Guest, Actor::Gateway, Actor::Staff { user_id: 7 }, Actor::Customer { user_id: 9 }] {
            let (kind, id) = actor.parts();
            assert_eq!(Actor::from_parts(kind, id), Some(actor));
        }
        assert_eq!(Actor::from_parts("staff", None), None);
        assert_eq!(Actor::from_parts("robot", Some(1)), None);
    }
}
