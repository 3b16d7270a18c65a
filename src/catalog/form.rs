//! Request forms as data: a catalog item's schema lists typed fields, and [`FormSchema::validate`]
//! checks a submitted form against it, answering every problem at once, one per field.
//!
//! Cross-field rules that depend on what the item does (a custom flavour needs its vCPU) live
//! with the item kinds in `kinds.rs`.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::NaiveDate;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub use crate::error::FieldError;

/// The fields of a request form, in display order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormSchema {
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldSpec {
    /// The key in the submitted form: lowercase letters, digits and `_`.
    pub name: String,
    /// The label shown to requesters (zh-CN).
    pub label: String,
    #[serde(default)]
    pub required: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// A field's type and its bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Integer {
        min: i64,
        max: i64,
    },
    Text {
        max_chars: usize,
    },
    Choice {
        options: Vec<String>,
    },
    /// A calendar date `YYYY-MM-DD`, from `min_days_ahead` to `max_days_ahead` days after
    /// the day of submission.
    Date {
        min_days_ahead: i64,
        max_days_ahead: i64,
    },
    /// A list of IPv4/IPv6 networks in CIDR notation.
    Cidrs {
        max_items: usize,
    },
    /// A list of ports (`443`) or port ranges (`8000-8080`).
    Ports {
        max_items: usize,
    },
    Boolean,
}

/// Most fields a form may have; keeps stored forms and their validation small.
const MAX_FIELDS: usize = 40;

impl FormSchema {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// What is wrong with this schema as a definition, one entry per problem.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            problems.push(FieldError::new(
                "form.fields",
                format!("a form has 1 to {MAX_FIELDS} fields"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (index, field) in self.fields.iter().enumerate() {
            let at = format!("form.fields[{index}]");
            let valid_name = !field.name.is_empty()
                && field.name.len() <= 48
                && field
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name {
                problems.push(FieldError::new(
                    &at,
                    "name must be 1 to 48 of a-z, 0-9 and _",
                ));
            }
            if !seen.insert(field.name.as_str()) {
                problems.push(FieldError::new(
                    &at,
                    format!("name {:?} is used twice", field.name),
                ));
            }
            if field.label.trim().is_empty() || field.label.chars().count() > 100 {
                problems.push(FieldError::new(&at, "label must be 1 to 100 characters"));
            }
            let bounds_ok = match &field.kind {
                FieldKind::Integer { min, max } => min <= max,
                FieldKind::Text { max_chars } => (1..=20_000).contains(max_chars),
                FieldKind::Choice { options } => {
                    !options.is_empty()
                        && options.len() <= 100
                        && options
                            .iter()
                            .all(|o| !o.is_empty() && o.chars().count() <= 100)
                }
                FieldKind::Date {
                    min_days_ahead,
                    max_days_ahead,
                } => min_days_ahead <= max_days_ahead && *max_days_ahead <= 3660,
                FieldKind::Cidrs { max_items } | FieldKind::Ports { max_items } => {
                    (1..=256).contains(max_items)
                }
                FieldKind::Boolean => true,
            };
            if !bounds_ok {
                problems.push(FieldError::new(
                    &at,
                    "its bounds or options are inconsistent",
                ));
            }
        }
        problems
    }

    /// Checks `form` against the schema on `today`: every field has the right type and lies in
    /// its bounds, required fields are present, no unknown field is given. Answers the form
    /// normalized (text trimmed, absent optional fields left out), or every problem.
    pub fn validate(
        &self,
        form: &Value,
        today: NaiveDate,
    ) -> Result<Map<String, Value>, Vec<FieldError>> {
        let Some(given) = form.as_object() else {
            return Err(vec![FieldError::new("form", "must be an object")]);
        };
        let mut errors = Vec::new();
        let mut normalized = Map::new();
        for name in given.keys() {
            if self.field(name).is_none() {
                errors.push(FieldError::new(name, "is not a field of this form"));
            }
        }
        for field in &self.fields {
            match given.get(&field.name) {
                None | Some(Value::Null) => {
                    if field.required {
                        errors.push(FieldError::new(&field.name, "is required"));
                    }
                }
                Some(value) => match check(&field.kind, value, today) {
                    Ok(value) => {
                        normalized.insert(field.name.clone(), value);
                    }
                    Err(message) => errors.push(FieldError::new(&field.name, message)),
                },
            }
        }
        if errors.is_empty() {
            Ok(normalized)
        } else {
            Err(errors)
        }
    }
}

fn check(kind: &FieldKind, value: &Value, today: NaiveDate) -> Result<Value, String> {
    match kind {
        FieldKind::Integer { min, max } => {
            let number = value
                .as_i64()
                .ok_or_else(|| "must be a whole number".to_owned())?;
            if number < *min || number > *max {
                return Err(format!("must be between {min} and {max}"));
            }
            Ok(Value::from(number))
        }
        FieldKind::Text { max_chars } => {
            let text = value
                .as_str()
                .ok_or_else(|| "must be text".to_owned())?
                .trim();
            if text.is_empty() {
                return Err("must not be empty".to_owned());
            }
            if text.chars().count() > *max_chars {
                return Err(format!("must be at most {max_chars} characters"));
            }
            Ok(Value::from(text))
        }
        FieldKind::Choice { options } => {
            let choice = value.as_str().ok_or_else(|| "must be text".to_owned())?;
            if !options.iter().any(|option| option == choice) {
                return Err(format!("must be one of: {}", options.join(", ")));
            }
            Ok(Value::from(choice))
        }
        FieldKind::Date {
            min_days_ahead,
            max_days_ahead,
        } => {
            let raw = value
                .as_str()
                .ok_or_else(|| "must be a date YYYY-MM-DD".to_owned())?;
            let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| "must be a date YYYY-MM-DD".to_owned())?;
            let ahead = (date - today).num_days();
            if ahead < *min_days_ahead || ahead > *max_days_ahead {
                return Err(format!(
                    "must be {min_days_ahead} to {max_days_ahead} days after today ({today})"
                ));
            }
            Ok(Value::from(date.format("%Y-%m-%d").to_string()))
        }
        FieldKind::Cidrs { max_items } => {
            let items = list_of_text(value, *max_items)?;
            let mut networks = Vec::with_capacity(items.len());
            for item in items {
                let network = IpNet::from_str(item)
                    .map_err(|_| format!("{item:?} is not a network in CIDR notation"))?;
                networks.push(Value::from(network.trunc().to_string()));
            }
            Ok(Value::Array(networks))
        }
        FieldKind::Ports { max_items } => {
            let items = list_of_text(value, *max_items)?;
            let mut ports = Vec::with_capacity(items.len());
            for item in items {
                ports.push(Value::from(parse_port_range(item)?));
            }
            Ok(Value::Array(ports))
        }
        FieldKind::Boolean => value
            .as_bool()
            .map(Value::from)
            .ok_or_else(|| "must be true or false".to_owned()),
    }
}

fn list_of_text(value: &Value, max_items: usize) -> Result<Vec<&str>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| "must be a list".to_owned())?;
    if items.is_empty() || items.len() > max_items {
        return Err(format!("must list 1 to {max_items} entries"));
    }
    items
        .iter()
        .map(|item| {
            item.as_str()
                .map(str::trim)
                .ok_or_else(|| "entries must be text".to_owned())
        })
        .collect()
}

/// `443` or `8000-8080`, ports 1 to 65535, the range in order.
fn parse_port_range(raw: &str) -> Result<String, String> {
    let port = |text: &str| match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("{raw:?} is not a port or port range")),
    };
    match raw.split_once('-') {
        None => Ok(port(raw)?.to_string()),
        Some((low, high)) => {
            let (low, high) = (port(low)?, port(high)?);
            if low > high {
                return Err(format!("{raw:?} is a range in the wrong order"));
            }
            Ok(format!("{low}-{high}"))
        }
    }
}

/// How many ports a normalized port list opens, for conditions on the request.
pub fn count_ports(ports: &[Value]) -> u64 {
    ports
        .iter()
        .filter_map(Value::as_str)
        .map(|entry| match entry.split_once('-') {
            Some((low, high)) => {
                let low: u64 = low.parse().unwrap_or(0);
                let high: u64 = high.parse().unwrap_or(0);
                high.saturating_sub(low) + 1
            }
            None => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> FormSchema {
        serde_json::from_value(json!({"fields": [
            {"name": "count", "label": "数量", "required": true, "type": "integer", "min": 1, "max": 20},
            {"name": "image", "label": "镜像", "required": true, "type": "choice", "options": ["centos7", "kylin10"]},
            {"name": "note", "label": "备注", "type": "text", "max_chars": 5},
            {"name": "lease_end", "label": "到期", "type": "date", "min_days_ahead": 1, "max_days_ahead": 30},
            {"name": "sources", "label": "源地址", "type": "cidrs", "max_items": 2},
            {"name": "ports", "label": "端口", "type": "ports", "max_items": 3},
            {"name": "public_ip", "label": "公网IP", "type": "boolean"}
        ]}))
        .unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn a_valid_form_is_normalized() {
        let form = json!({
            "count": 2, "image": "kylin10", "note": " hi ", "lease_end": "2026-12-01",
            "sources": ["10.1.2.3/16"], "ports": ["443", "8000-8080"], "public_ip": false
        });
        let normalized = schema().validate(&form, today()).unwrap();
        assert_eq!(normalized["note"], "hi");
        assert_eq!(normalized["sources"], json!(["10.1.0.0/16"]));
        assert_eq!(normalized["ports"], json!(["443", "8000-8080"]));
        assert_eq!(count_ports(normalized["ports"].as_array().unwrap()), 82);
        let minimal = schema()
            .validate(&json!({"count": 1, "image": "centos7"}), today())
            .unwrap();
        assert_eq!(minimal.len(), 2);
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let table = [
            (json!({"image": "centos7"}), "count", "is required"),
            (
                json!({"count": 0, "image": "centos7"}),
                "count",
                "must be between 1 and 20",
            ),
            (
                json!({"count": 1.5, "image": "centos7"}),
                "count",
                "must be a whole number",
            ),
            (
                json!({"count": "3", "image": "centos7"}),
                "count",
                "must be a whole number",
            ),
            (
                json!({"count": 1, "image": "windows"}),
                "image",
                "must be one of: centos7, kylin10",
            ),
            (
                json!({"count": 1, "image": "centos7", "note": "toolong"}),
                "note",
                "must be at most 5 characters",
            ),
            (
                json!({"count": 1, "image": "centos7", "note": "   "}),
                "note",
                "must not be empty",
            ),
            (
                json!({"count": 1, "image": "centos7", "lease_end": "2026-11-26"}),
                "lease_end",
                "must be 1 to 30 days after today (2026-11-26)",
            ),
            (
                json!({"count": 1, "image": "centos7", "lease_end": "2026-13-01"}),
                "lease_end",
                "must be a date YYYY-MM-DD",
            ),
            (
                json!({"count": 1, "image": "centos7", "sources": ["10.0.0.0/33"]}),
                "sources",
                "\"10.0.0.0/33\" is not a network in CIDR notation",
            ),
            (
                json!({"count": 1, "image": "centos7", "sources": []}),
                "sources",
                "must list 1 to 2 entries",
            ),
            (
                json!({"count": 1, "image": "centos7", "ports": ["0"]}),
                "ports",
                "\"0\" is not a port or port range",
            ),
            (
                json!({"count": 1, "image": "centos7", "ports": ["90-80"]}),
                "ports",
                "\"90-80\" is a range in the wrong order",
            ),
            (
                json!({"count": 1, "image": "centos7", "public_ip": "yes"}),
                "public_ip",
                "must be true or false",
            ),
            (
                json!({"count": 1, "image": "centos7", "colour": "red"}),
                "colour",
                "is not a field of this form",
            ),
        ];
        for (form, field, message) in table {
            let errors = schema().validate(&form, today()).unwrap_err();
            assert_eq!(errors, vec![FieldError::new(field, message)], "{form}");
        }
        let all = schema()
            .validate(&json!({"count": 99}), today())
            .unwrap_err();
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(
            schema().validate(&json!([1]), today()).unwrap_err()[0].field,
            "form"
        );
    }

    #[test]
    fn schema_problems() {
        let bad: FormSchema = serde_json::from_value(json!({"fields": [
            {"name": "Count", "label": "x", "type": "integer", "min": 5, "max": 1},
            {"name": "a", "label": "", "type": "choice", "options": []},
            {"name": "a", "label": "y", "type": "boolean"}
        ]}))
        .unwrap();
        let problems: Vec<String> = bad
            .problems()
            .into_iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        assert_eq!(
            problems,
            vec![
                "form.fields[0]: name must be 1 to 48 of a-z, 0-9 and _",
                "form.fields[0]: its bounds or options are inconsistent",
                "form.fields[1]: label must be 1 to 100 characters",
                "form.fields[1]: its bounds or options are inconsistent",
                "form.fields[2]: name \"a\" is used twice",
            ]
        );
        assert!(schema().problems().is_empty());
    }
}
