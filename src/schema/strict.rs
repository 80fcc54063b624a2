//! The OpenAI strict structured-output subset: which schemas `strict: true` accepts.
//!
//! Invariant: the check is a pure walk of the schema document (no `$ref` following, so cycles
//! cannot loop), bounded in depth and in the number of findings, and reports every breaking
//! location as a JSON pointer into the schema.

use serde_json::Value;

use super::Violation;

/// Deepest schema nesting the walk follows.
const MAX_DEPTH: usize = 256;

/// The result of [`strict_subset`]: `errors` make a `strict: true` schema a 400; `warnings` are
/// keywords OpenAI has documented as unsupported in strict mode, worth logging but not rejected
/// (the supported set grows, and other upstreams accept them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrictReport {
    pub errors: Vec<Violation>,
    pub warnings: Vec<Violation>,
}

/// Keywords OpenAI's strict mode has listed as unsupported.
const STRICT_UNSUPPORTED: &[&str] = &[
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "minLength",
    "maxLength",
];

/// Checks `schema` against the OpenAI strict structured-output subset. Errors (paths are JSON
/// pointers into the schema): the root is not `"type": "object"` or is an `anyOf`; an object
/// schema (one with `"type": "object"` or `properties`) does not set `"additionalProperties":
/// false`, or does not list every key of `properties` in `required`. Subschemas are reached
/// through `properties`, `items`, `prefixItems`, `anyOf`, `oneOf`, `allOf`, `$defs` and
/// `definitions` (so `$ref` targets are checked where they are defined).
pub fn strict_subset(schema: &Value) -> StrictReport {
    let mut report = StrictReport::default();
    let root_is_object = match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        _ => false,
    };
    if !root_is_object {
        report.errors.push(Violation::new(
            "",
            "the root schema must have \"type\": \"object\"",
        ));
    }
    if schema.get("anyOf").is_some() {
        report
            .errors
            .push(Violation::new("", "the root schema must not be an anyOf"));
    }
    walk_strict(schema, "", &mut report, 0);
    report
}

fn walk_strict(schema: &Value, path: &str, report: &mut StrictReport, depth: usize) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if depth > MAX_DEPTH || report.errors.len() + report.warnings.len() > 1000 {
        return;
    }
    let is_object = match obj.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => obj.contains_key("properties"),
    };
    if is_object {
        if obj.get("additionalProperties") != Some(&Value::Bool(false)) {
            report.errors.push(Violation::new(
                path,
                "objects must set \"additionalProperties\": false",
            ));
        }
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            let missing: Vec<&str> = props
                .keys()
                .map(String::as_str)
                .filter(|k| !required.contains(k))
                .collect();
            if !missing.is_empty() {
                report.errors.push(Violation::new(
                    path,
                    format!(
                        "every property must be listed in \"required\" (use a type union with \"null\" for optional fields); missing: {}",
                        missing.join(", ")
                    ),
                ));
            }
        }
    }
    for kw in STRICT_UNSUPPORTED {
        if obj.contains_key(*kw) {
            report.warnings.push(Violation::new(
                path,
                format!("keyword \"{kw}\" is not supported in strict mode"),
            ));
        }
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(map) = obj.get(key).and_then(Value::as_object) {
            for (name, sub) in map {
                walk_strict(
                    sub,
                    &format!("{path}/{key}/{}", escape_pointer(name)),
                    report,
                    depth + 1,
                );
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(list) = obj.get(key).and_then(Value::as_array) {
            for (i, sub) in list.iter().enumerate() {
                walk_strict(sub, &format!("{path}/{key}/{i}"), report, depth + 1);
            }
        }
    }
    match obj.get("items") {
        Some(Value::Array(list)) => {
            for (i, sub) in list.iter().enumerate() {
                walk_strict(sub, &format!("{path}/items/{i}"), report, depth + 1);
            }
        }
        Some(sub) => walk_strict(sub, &format!("{path}/items"), report, depth + 1),
        None => {}
    }
}

/// RFC 6901 escaping of one pointer segment.
pub(crate) fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strict_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
                    "required": ["city", "zip"],
                    "additionalProperties": false
                }
            },
            "required": ["name", "address"],
            "additionalProperties": false
        })
    }

    #[test]
    fn strict_subset_reports_each_breaking_path() {
        let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
            (strict_schema(), vec![]),
            (json!({"type": "array"}), vec![("", "root schema must have")]),
            (
                json!({"type": "object", "anyOf": [{"type": "object", "properties": {}, "required": [], "additionalProperties": false}], "additionalProperties": false}),
                vec![("", "must not be an anyOf")],
            ),
            (
                json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"], "additionalProperties": false}),
                vec![("", "missing: b")],
            ),
            (
                json!({"type": "object", "properties": {"o": {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}},
                       "required": ["o"], "additionalProperties": false}),
                vec![("/properties/o", "additionalProperties")],
            ),
            (
                json!({"type": "object", "properties": {"l": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
                       "required": ["l"], "additionalProperties": false,
                       "$defs": {"Item": {"type": "object", "properties": {"q": {"type": "integer"}}, "additionalProperties": true}}}),
                vec![
                    ("/$defs/Item", "additionalProperties"),
                    ("/$defs/Item", "missing: q"),
                ],
            ),
            (
                json!({"type": "object", "properties": {"u": {"anyOf": [{"type": "object", "properties": {"k": {}}, "required": ["k"]}, {"type": "null"}]}},
                       "required": ["u"], "additionalProperties": false}),
                vec![("/properties/u/anyOf/0", "additionalProperties")],
            ),
        ];
        for (schema, expected) in cases {
            let report = strict_subset(&schema);
            let got: Vec<(&str, &str)> = report
                .errors
                .iter()
                .map(|v| (v.path.as_str(), v.reason.as_str()))
                .collect();
            assert_eq!(got.len(), expected.len(), "{schema}: {got:?}");
            for ((gp, gr), (ep, er)) in got.iter().zip(expected.iter()) {
                assert_eq!(gp, ep, "{schema}");
                assert!(gr.contains(er), "{schema}: {gr}");
            }
        }
        let report = strict_subset(
            &json!({"type": "object", "properties": {"s": {"type": "string", "minLength": 2}},
            "required": ["s"], "additionalProperties": false}),
        );
        assert!(report.errors.is_empty());
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].path, "/properties/s");
    }
}
