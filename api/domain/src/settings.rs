//! The pieces every area's settings are read with: a layered source of named values
//! ([`Env`]), typed readers that name the variable when a value is wrong
//! ([`ConfigError`]), and [`Secret`] for values that must never be printed.
//!
//! Each area owns its settings type, its defaults and its `from_env(&Env)` (e.g.
//! `inventory::InventoryConfig`, `payments::PaymentsConfig`); the server binary reads
//! them all through one [`Env`] at start. Layers, highest first: the process
//! environment, then an optional env file (`KEY=VALUE` lines, as systemd's
//! `EnvironmentFile` or `docker --env-file`), then each setting's default.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use url::Url;

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The wrapped value. Call sites are easy to audit: grep for `expose`.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self { var, problem: problem.into() }
    }
}

/// A URL as text with its password (if any) replaced by `***`.
pub fn mask_url(url: &Url) -> String {
    let mut masked = url.clone();
    if masked.password().is_some() {
        // Cannot fail for URLs that already have a password.
        let _ = masked.set_password(Some("***"));
    }
    masked.to_string()
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// One source of values and the name it is reported by.
struct Layer {
    name: String,
    lookup: Lookup,
}

/// Named values from layered sources: the first layer that has a variable wins. Values
/// are trimmed; an empty value counts as unset. Every reader names the variable (and
/// the env file, when the value came from one) in its error.
pub struct Env {
    layers: Vec<Layer>,
}

impl Env {
    /// The process environment alone.
    pub fn process() -> Self {
        Self::from_lookup("the environment", |key| std::env::var(key).ok())
    }

    /// One layer read through `lookup` (a map in tests).
    pub fn from_lookup(name: &str, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Env { layers: vec![Layer { name: name.to_owned(), lookup: Box::new(lookup) }] }
    }

    /// A layer from pairs, e.g. `Env::from_pairs(&[("CART_HOLD_SECS", "60")])`.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self::from_lookup("the given values", move |k| map.get(k).cloned())
    }

    /// Adds an env file below the layers already there. Lines are `KEY=VALUE`
    /// (`export ` and surrounding quotes allowed), `#` starts a comment.
    pub fn with_env_file(mut self, var: &'static str, path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::new(var, format!("cannot read {}: {e}", path.display())))?;
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((key, value)) = line.split_once('=') else {
                return Err(ConfigError::new(var, format!("{} line {}: expected KEY=VALUE", path.display(), n + 1)));
            };
            let value = value.trim();
            let unquoted = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(open, close)| value.strip_prefix(*open).and_then(|v| v.strip_suffix(*close)))
                .unwrap_or(value);
            map.insert(key.trim().to_owned(), unquoted.to_owned());
        }
        self.layers.push(Layer { name: path.display().to_string(), lookup: Box::new(move |k| map.get(k).cloned()) });
        Ok(self)
    }

    fn find(&self, var: &str) -> Option<(String, &Layer)> {
        self.layers.iter().find_map(|layer| {
            let value = (layer.lookup)(var)?;
            let value = value.trim();
            (!value.is_empty()).then(|| (value.to_owned(), layer))
        })
    }

    /// The value of `var`, if any layer sets it.
    pub fn get(&self, var: &str) -> Option<String> {
        self.find(var).map(|(value, _)| value)
    }

    /// An error about `var`'s value, naming the env file it came from (not the process
    /// environment: that is where operators look first).
    pub fn error(&self, var: &'static str, problem: impl Into<String>) -> ConfigError {
        let problem = problem.into();
        match self.find(var) {
            Some((_, layer)) if !std::ptr::eq(layer, &self.layers[0]) => {
                ConfigError::new(var, format!("{problem} (set in {})", layer.name))
            }
            _ => ConfigError::new(var, problem),
        }
    }

    /// A whole number within `range`, or `default` when unset.
    pub fn number<T>(&self, var: &'static str, default: T, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let Some(raw) = self.get(var) else { return Ok(default) };
        let n: T = raw.parse().map_err(|_| self.error(var, format!("'{raw}' is not a whole number")))?;
        if !range.contains(&n) {
            return Err(self.error(var, format!("{n} is out of range ({}..={})", range.start(), range.end())));
        }
        Ok(n)
    }

    /// Seconds within `range` (in seconds), or `default` seconds when unset.
    pub fn secs(&self, var: &'static str, default: u64, range: std::ops::RangeInclusive<u64>) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.number(var, default, range)?))
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), or `default` when unset.
    pub fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(self.error(var, format!("'{other}' is not a boolean (use true or false)"))),
        }
    }

    /// An absolute http(s) URL with a host, or `default` when unset.
    pub fn http_url(&self, var: &'static str, default: &str) -> Result<Url, ConfigError> {
        let raw = self.get(var).unwrap_or_else(|| default.to_owned());
        Url::parse(&raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| self.error(var, format!("'{raw}' is not an http(s) URL")))
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    pub fn list(&self, var: &str) -> Vec<String> {
        self.get(var).map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()).unwrap_or_default()
    }
}

/// `every Ns`, or `off` for 0: how summaries print an interval that may be switched off.
pub fn every(secs: u64) -> String {
    match secs {
        0 => "off".to_owned(),
        n => format!("every {n}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_name_the_variable_and_keep_ranges() {
        let env = Env::from_pairs(&[("N", "7"), ("BIG", "900"), ("WORD", "many"), ("B", "Off"), ("U", "ftp://x"), ("L", " a, ,b ")]);
        assert_eq!(env.number("N", 1u32, 1..=10), Ok(7));
        assert_eq!(env.number("UNSET", 3u32, 1..=10), Ok(3));
        assert_eq!(env.number("BIG", 1u32, 1..=10).unwrap_err().var, "BIG");
        assert!(env.number("WORD", 1u32, 1..=10).unwrap_err().problem.contains("not a whole number"));
        assert_eq!(env.flag("B", true), Ok(false));
        assert_eq!(env.flag("WORD", true).unwrap_err().var, "WORD");
        assert_eq!(env.http_url("U", "http://localhost/").unwrap_err().var, "U");
        assert_eq!(env.list("L"), ["a", "b"]);
    }

    #[test]
    fn the_environment_wins_over_the_env_file_and_file_errors_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stockade.env");
        std::fs::write(&file, "# shop settings\nexport CART_HOLD_SECS=900\nLOG_FORMAT=\"json\"\nBAD='x'\n").unwrap();
        let env = Env::from_pairs(&[("CART_HOLD_SECS", "60")]).with_env_file("STOCKADE_ENV_FILE", &file).unwrap();
        assert_eq!(env.get("CART_HOLD_SECS").as_deref(), Some("60"));
        assert_eq!(env.get("LOG_FORMAT").as_deref(), Some("json"));
        let err = env.number("BAD", 1u32, 1..=2).unwrap_err();
        assert!(err.problem.ends_with(&format!("(set in {})", file.display())), "{err}");
        assert!(!env.number("CART_HOLD_SECS", 1u32, 1..=2).unwrap_err().problem.contains("set in"));

        std::fs::write(&file, "NOT A PAIR\n").unwrap();
        let err = Env::from_pairs(&[]).with_env_file("STOCKADE_ENV_FILE", &file).err().unwrap();
        assert_eq!(err.var, "STOCKADE_ENV_FILE");
        assert!(err.problem.contains("line 1"), "{err}");
    }
}
