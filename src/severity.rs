//! Alarm severities by name, shared by monitoring (alarms, their filters and aggregates) and
//! notify (a channel's threshold): the wire enum [`SeverityName`] and the names the database
//! stores. The severities and their order are `yunguan_actors::alarm::Severity`'s.

use serde::Deserialize;
use utoipa::ToSchema;
use yunguan_actors::alarm::Severity;

/// An alarm's severity, as a request names it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeverityName {
    Critical,
    Major,
    Minor,
    Info,
}

impl From<SeverityName> for Severity {
    fn from(name: SeverityName) -> Severity {
        match name {
            SeverityName::Critical => Severity::Critical,
            SeverityName::Major => Severity::Major,
            SeverityName::Minor => Severity::Minor,
            SeverityName::Info => Severity::Info,
        }
    }
}

/// The name a severity is stored and sent under.
pub fn name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Major => "major",
        Severity::Minor => "minor",
        Severity::Info => "info",
    }
}

/// The severity a stored name means ([`name`]'s inverse).
pub fn parse(name: &str) -> Option<Severity> {
    match name {
        "critical" => Some(Severity::Critical),
        "major" => Some(Severity::Major),
        "minor" => Some(Severity::Minor),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names_and_parse_back() {
        for severity in [
            Severity::Info,
            Severity::Minor,
            Severity::Major,
            Severity::Critical,
        ] {
            let serialized = serde_json::to_value(severity).unwrap();
            assert_eq!(serialized, name(severity));
            assert_eq!(parse(name(severity)), Some(severity));
            let wire: SeverityName = serde_json::from_value(serialized).unwrap();
            assert_eq!(Severity::from(wire), severity);
        }
        assert_eq!(parse("Critical"), None);
    }
}
