//! Requests made from the OpenAPI document alone, for tests that try every operation: a body
//! that deserializes for an operation's schema, and a path with its `{…}` segments filled.

use std::collections::BTreeMap;

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Map, Value};

/// A value of `schema` that deserializes: the required properties only, each the first of
/// its enum or a plain value of its type (ids are 1, times tomorrow).
pub fn plausible(document: &Value, schema: &Value) -> Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return plausible(document, &document["components"]["schemas"][name]);
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = plausible(document, part) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    for composition in ["oneOf", "anyOf"] {
        if let Some(first) = schema[composition]
            .as_array()
            .and_then(|choices| choices.iter().find(|choice| choice["type"] != "null"))
        {
            return plausible(document, first);
        }
    }
    if let Some(first) = schema["enum"]
        .as_array()
        .and_then(|values| values.iter().find(|value| !value.is_null()))
    {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.as_str(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("null"),
        _ => "object",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                object.insert(
                    name.to_owned(),
                    plausible(document, &schema["properties"][name]),
                );
            }
            Value::Object(object)
        }
        "array" => json!([]),
        "string" => {
            match schema["format"].as_str() {
                Some("date-time") => json!((Utc::now() + chrono::Duration::days(1))
                    .to_rfc3339_opts(SecondsFormat::Secs, true)),
                Some("date") => json!((Utc::now() + chrono::Duration::days(30))
                    .format("%Y-%m-%d")
                    .to_string()),
                _ => json!("plausible"),
            }
        }
        "integer" => json!(1),
        "number" => json!(1.0),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

/// `path` with each `{…}` segment replaced by the id `ids` holds for the collection before
/// it, else `otherwise`.
pub fn filled_path(path: &str, ids: &BTreeMap<&str, i64>, otherwise: i64) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            if segment.starts_with('{') {
                let collection = segments[index - 1];
                ids.get(collection)
                    .copied()
                    .unwrap_or(otherwise)
                    .to_string()
            } else {
                (*segment).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
