//! Durations in configuration: humantime strings (`"250ms"`, `"5s"`, `"2m"`, `"1h 30m"`),
//! parsed while the raw shapes are extracted, so a bad value is reported with its key path and
//! validation only ever sees a real [`Duration`].

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A duration written as a humantime string. A bare number is refused: it has no unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub const fn secs(s: u64) -> Self {
        HumanDuration(Duration::from_secs(s))
    }
    pub const fn millis(ms: u64) -> Self {
        HumanDuration(Duration::from_millis(ms))
    }
}

impl From<HumanDuration> for Duration {
    fn from(d: HumanDuration) -> Duration {
        d.0
    }
}

struct Visitor;

impl de::Visitor<'_> for Visitor {
    type Value = HumanDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration string with a unit, e.g. \"250ms\", \"5s\", \"2m\"")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<HumanDuration, E> {
        humantime::parse_duration(s).map(HumanDuration).map_err(|e| {
            E::custom(format_args!(
                "invalid duration {s:?} ({e}); use e.g. \"5s\", \"250ms\", \"2m\""
            ))
        })
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(Visitor)
    }
}

/// Written back in the same humantime form (the documentation test serialises raw shapes).
impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct T {
        d: HumanDuration,
    }

    fn parse(v: &str) -> Result<Duration, String> {
        toml::from_str::<T>(&format!("d = {v}"))
            .map(|t| t.d.0)
            .map_err(|e| e.message().to_string())
    }

    #[test]
    fn humantime_strings_parse_and_bare_numbers_are_refused() {
        assert_eq!(parse("\"250ms\""), Ok(Duration::from_millis(250)));
        assert_eq!(parse("\"1h 30m\""), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("\"0s\""), Ok(Duration::ZERO));
        let e = parse("\"forever\"").unwrap_err();
        assert!(
            e.contains("invalid duration \"forever\"") && e.contains("\"250ms\""),
            "{e}"
        );
        let e = parse("50").unwrap_err();
        assert!(e.contains("expected a duration string with a unit"), "{e}");
    }
}
