//! Shipping addresses: every field checked, each problem named, before payment.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// ISO 3166-1 alpha-2 codes in use.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL \
GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR \
LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK \
PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Countries whose addresses need a state or province.
const NEEDS_REGION: [&str; 3] = ["US", "CA", "AU"];

/// A validated shipping address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub phone: Option<String>,
}

/// An address as entered, before checking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub name: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
}

/// One problem with an address: the field (`shippingAddress.city`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressProblem {
    pub field: String,
    pub message: String,
}

fn clean(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl AddressInput {
    /// Every problem at once, so a form can show them all.
    pub fn problems(&self) -> Vec<AddressProblem> {
        let mut problems = Vec::new();
        let mut problem =
            |field: &str, message: String| problems.push(AddressProblem { field: format!("shippingAddress.{field}"), message });
        for (field, value, max) in
            [("name", &self.name, 200), ("line1", &self.line1, 200), ("city", &self.city, 100), ("postalCode", &self.postal_code, 20)]
        {
            match clean(value) {
                None => problem(field, format!("{field} is required")),
                Some(v) if v.chars().count() > max => problem(field, format!("{field} is longer than {max} characters")),
                Some(v) if v.chars().any(char::is_control) => problem(field, format!("{field} contains control characters")),
                Some(_) => {}
            }
        }
        for (field, value, max) in [("line2", &self.line2, 200), ("region", &self.region, 100), ("phone", &self.phone, 40)] {
            if clean(value).is_some_and(|v| v.chars().count() > max) {
                problem(field, format!("{field} is longer than {max} characters"));
            }
        }
        match clean(&self.country).map(|c| c.to_ascii_uppercase()) {
            None => problem("country", "country is required".into()),
            Some(c) if c.len() != 2 || !COUNTRIES.split(' ').any(|k| k == c) => {
                problem("country", format!("'{c}' is not an ISO country code (e.g. US, DE)"))
            }
            Some(c) => {
                if NEEDS_REGION.contains(&c.as_str()) && clean(&self.region).is_none() {
                    problem("region", format!("a state or province is required for {c}"));
                }
                let postal = clean(&self.postal_code).unwrap_or_default();
                if c == "US" && !postal.is_empty() && !us_zip(&postal) {
                    problem("postalCode", format!("'{postal}' is not a US ZIP code (12345 or 12345-6789)"));
                }
            }
        }
        if let Some(phone) = clean(&self.phone)
            && !phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            problem("phone", "phone may contain digits, spaces and + - ( ) . only".into());
        }
        problems
    }

    /// The address if it has no problems, else the first problem as an error.
    pub fn validate(&self) -> Result<Address> {
        if let Some(first) = self.problems().into_iter().next() {
            return Err(Error::Invalid { field: Some(first.field), message: first.message });
        }
        Ok(Address {
            name: clean(&self.name).unwrap_or_default(),
            line1: clean(&self.line1).unwrap_or_default(),
            line2: clean(&self.line2),
            city: clean(&self.city).unwrap_or_default(),
            region: clean(&self.region),
            postal_code: clean(&self.postal_code).unwrap_or_default(),
            country: clean(&self.country).unwrap_or_default().to_ascii_uppercase(),
            phone: clean(&self.phone),
        })
    }
}

fn us_zip(code: &str) -> bool {
    let b = code.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 10 && b[5] == b'-' && b.iter().enumerate().all(|(i, c)| i == 5 || c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            name: Some("Marta Silva".into()),
            line1: Some("1 Main St".into()),
            city: Some("Springfield".into()),
            region: Some("IL".into()),
            postal_code: Some("62701".into()),
            country: Some("us".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_address_validates_and_normalises() {
        assert_eq!(input().validate().unwrap().country, "US");
    }

    #[test]
    fn every_problem_is_named() {
        let empty = AddressInput::default().problems();
        let fields: Vec<&str> = empty.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "shippingAddress.name",
                "shippingAddress.line1",
                "shippingAddress.city",
                "shippingAddress.postalCode",
                "shippingAddress.country"
            ]
        );
        let no_state = AddressInput { region: None, ..input() }.problems();
        assert_eq!(no_state[0].field, "shippingAddress.region");
        let bad_zip = AddressInput { postal_code: Some("ABCDE".into()), ..input() }.problems();
        assert_eq!(bad_zip[0].field, "shippingAddress.postalCode");
        let bad_country = AddressInput { country: Some("XX".into()), ..input() }.problems();
        assert_eq!(bad_country[0].field, "shippingAddress.country");
    }
}
