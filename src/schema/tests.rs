//! Cross-module tests: realistic schemas end to end (request → expectation → check), tool calls,
//! generated instances, the 502 message, and a property test that nothing panics.
//!
//! Invariant: tests only; every table row states the exact violation paths expected.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::api::ChatRequest;

fn patient_report() -> Value {
    // What Pydantic v2 emits for
    // class PatientReport(BaseModel): diagnosis: str; treatment_plan: list[str]; risk_level: int
    json!({
        "title": "PatientReport",
        "description": "Structured summary of a consultation.",
        "type": "object",
        "properties": {
            "diagnosis": {"title": "Diagnosis", "type": "string"},
            "treatment_plan": {"title": "Treatment Plan", "type": "array", "items": {"type": "string"}},
            "risk_level": {"title": "Risk Level", "description": "1 (low) to 5 (high)", "type": "integer",
                           "minimum": 1, "maximum": 5}
        },
        "required": ["diagnosis", "treatment_plan", "risk_level"]
    })
}

fn pydantic_nested() -> Value {
    json!({
        "$defs": {
            "Medication": {
                "title": "Medication", "type": "object",
                "properties": {
                    "name": {"title": "Name", "type": "string"},
                    "dose_mg": {"title": "Dose Mg", "type": "number", "exclusiveMinimum": 0},
                    "route": {"title": "Route", "enum": ["oral", "iv", "topical"], "type": "string"}
                },
                "required": ["name", "dose_mg", "route"]
            }
        },
        "title": "Prescription", "type": "object",
        "properties": {
            "patient_id": {"title": "Patient Id", "type": "string", "format": "uuid"},
            "issued": {"title": "Issued", "type": "string", "format": "date"},
            "medications": {"title": "Medications", "type": "array", "minItems": 1,
                            "items": {"$ref": "#/$defs/Medication"}},
            "notes": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Notes"},
            "urgent": {"title": "Urgent", "type": "boolean", "default": false}
        },
        "required": ["patient_id", "issued", "medications"]
    })
}

fn openai_strict() -> Value {
    json!({
        "type": "object",
        "properties": {
            "customer": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "email": {"type": ["string", "null"]},
                    "address": {
                        "type": "object",
                        "properties": {"street": {"type": "string"}, "city": {"type": "string"},
                                       "country": {"type": "string", "enum": ["DE", "FR", "US"]}},
                        "required": ["street", "city", "country"],
                        "additionalProperties": false
                    }
                },
                "required": ["name", "email", "address"],
                "additionalProperties": false
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                                   "price": {"type": "number", "minimum": 0}},
                    "required": ["sku", "quantity", "price"],
                    "additionalProperties": false
                }
            },
            "status": {"type": "string", "const": "confirmed"},
            "discount": {"anyOf": [{"type": "number", "maximum": 1}, {"type": "null"}]}
        },
        "required": ["customer", "items", "status", "discount"],
        "additionalProperties": false
    })
}

fn multiply_params() -> Value {
    json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
           "required": ["a", "b"], "additionalProperties": false})
}

fn misc_schemas() -> Vec<Value> {
    vec![
        json!({"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string", "minLength": 3},
            "minItems": 2, "maxItems": 4, "uniqueItems": true}}, "required": ["tags"]}),
        json!({"type": "object", "properties": {"kind": {"oneOf": [{"const": "a"}, {"const": "b"}]},
            "score": {"type": "number", "minimum": 0, "maximum": 1}, "when": {"type": "string", "format": "date-time"},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"}, "count": {"type": "integer", "exclusiveMinimum": 10, "multipleOf": 5}},
            "required": ["kind", "score", "when", "code", "count"], "additionalProperties": false}),
        json!({"type": "array", "items": {"type": "integer", "maximum": -3}, "minItems": 3}),
        json!({"type": ["integer", "null"], "minimum": 2, "maximum": 2}),
        json!({"type": "object", "allOf": [{"$ref": "#/$defs/Base"}], "properties": {"extra": {"type": "boolean"}},
            "$defs": {"Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}}),
        json!({"$defs": {"Node": {"type": "object", "properties": {"value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}, "required": ["value", "children"]}},
            "$ref": "#/$defs/Node"}),
        json!({"type": "string", "enum": ["low", "medium", "high"]}),
        json!({"type": "boolean"}),
    ]
}

fn schema_request(schema: Value, strict: bool) -> ChatRequest {
    serde_json::from_value(json!({
        "model": "m",
        "messages": [{"role": "user", "content": "go"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "strict": strict, "schema": schema}}
    }))
    .unwrap()
}

fn assistant(content: &str) -> Value {
    json!({"role": "assistant", "content": content, "refusal": null})
}

fn paths(c: &Checked) -> Vec<String> {
    c.violations.iter().map(|v| v.path.clone()).collect()
}

#[test]
fn generated_instances_validate_and_invalid_ones_do_not() {
    let mut schemas = vec![
        patient_report(),
        pydantic_nested(),
        openai_strict(),
        multiply_params(),
    ];
    schemas.extend(misc_schemas());
    let cache = SchemaCache::default();
    for schema in &schemas {
        let compiled = cache.get_or_compile(schema).unwrap();
        for seed in 0..16 {
            let good = example_instance(schema, seed);
            assert!(
                compiled.violations(&good, "").is_empty(),
                "{schema}\n{good}\n{:?}",
                compiled.violations(&good, "")
            );
            let bad = invalid_instance(schema, seed);
            assert!(!compiled.is_valid(&bad), "seed {seed}: {schema}\n{bad}");
        }
    }
    // The strict example also passes the strict-subset check (so the mock can serve strict clients).
    assert!(strict_subset(&openai_strict()).errors.is_empty());
}

#[test]
#[allow(clippy::type_complexity)]
fn json_schema_content_table() {
    let cache = SchemaCache::default();
    let exp = expectation(&schema_request(patient_report(), false), &cache).unwrap();
    // (content, expected violation paths, a word each reason must contain, cleaned?)
    let cases: Vec<(&str, Vec<(&str, &str)>, bool)> = vec![
        (r#"{"diagnosis": "flu", "treatment_plan": ["rest", "fluids"], "risk_level": 2}"#, vec![], false),
        (r#"{"diagnosis": "flu", "treatment_plan": [], "risk_level": "high"}"#, vec![("/risk_level", "integer")], false),
        (r#"{"diagnosis": "flu", "treatment_plan": ["rest"], "risk_level": 9}"#, vec![("/risk_level", "maximum")], false),
        (r#"{"diagnosis": "flu", "treatment_plan": ["rest", 3], "risk_level": 1}"#, vec![("/treatment_plan/1", "string")], false),
        (r#"{"treatment_plan": ["rest"], "risk_level": 1}"#, vec![("", "diagnosis")], false),
        (
            r#"{"diagnosis": 1, "treatment_plan": "rest", "risk_level": 0.5}"#,
            vec![("/diagnosis", "string"), ("/risk_level", "integer"), ("/risk_level", "minimum"), ("/treatment_plan", "array")],
            false,
        ),
        ("[]", vec![("", "object")], false),
        ("The patient has the flu.", vec![("", "not valid JSON")], false),
        (
            "Here is the report:\n```json\n{\"diagnosis\": \"flu\", \"treatment_plan\": [\"rest\"], \"risk_level\": 2}\n```",
            vec![],
            true,
        ),
        (
            "Report: {\"diagnosis\": \"flu\", \"treatment_plan\": [\"rest\"], \"risk_level\": \"2\"} (risk is moderate)",
            vec![("/risk_level", "integer")],
            true,
        ),
    ];
    for (content, expected, cleaned) in cases {
        let got = check_message(&assistant(content), &exp, None, &cache);
        assert_eq!(
            got.violations.len(),
            expected.len(),
            "{content}: {:?}",
            got.violations
        );
        for (v, (path, word)) in got.violations.iter().zip(expected.iter()) {
            assert_eq!(v.path, *path, "{content}");
            assert!(v.reason.contains(word), "{content}: {v}");
        }
        assert_eq!(got.cleaned_content.is_some(), cleaned, "{content}");
        if let Some(clean) = &got.cleaned_content {
            assert!(serde_json::from_str::<Value>(clean).is_ok());
            assert!(clean.starts_with('{') && clean.ends_with('}'));
        }
    }
    assert_eq!(cache.compile_count(), 1);
}

#[test]
fn strict_nested_violations_have_deep_paths() {
    let cache = SchemaCache::default();
    let exp = expectation(&schema_request(openai_strict(), true), &cache).unwrap();
    let mut good = example_instance(&openai_strict(), 4);
    let ok = check_message(&assistant(&good.to_string()), &exp, None, &cache);
    assert!(ok.is_ok(), "{:?}", ok.violations);
    good["customer"]["address"]["country"] = json!("XX");
    good["customer"]["nickname"] = json!("bob");
    good["items"] = json!([{"sku": "a", "quantity": 0, "price": 1.5}]);
    let got = check_message(&assistant(&good.to_string()), &exp, None, &cache);
    let mut p = paths(&got);
    p.sort();
    assert_eq!(
        p,
        vec!["/customer", "/customer/address/country", "/items/0/quantity"],
        "{:?}",
        got.violations
    );
}

#[test]
#[allow(clippy::type_complexity)]
fn tool_call_table() {
    let cache = SchemaCache::default();
    let tools = vec![
        json!({"type": "function", "function": {"name": "multiply", "description": "a*b", "parameters": multiply_params()}}),
        json!({"type": "function", "function": {"name": "now"}}),
    ];
    let call = |name: &str, args: Value| json!({"id": "c", "type": "function", "function": {"name": name, "arguments": args}});
    // (tool_calls, expected (path, reason word))
    let cases: Vec<(Vec<Value>, Vec<(&str, &str)>)> = vec![
        (vec![call("multiply", json!("{\"a\": 2, \"b\": 3.5}"))], vec![]),
        (vec![call("now", json!("")), call("now", json!("{}"))], vec![]),
        (
            vec![call("multiply", json!("{\"a\": \"two\", \"b\": 3}"))],
            vec![("tool_calls[0].arguments/a", "number")],
        ),
        (
            vec![call("multiply", json!("{\"a\": 2}"))],
            vec![("tool_calls[0].arguments", "\"b\" is a required")],
        ),
        (
            vec![call("multiply", json!("{\"a\": 1, \"b\": 2, \"c\": 3}"))],
            vec![("tool_calls[0].arguments", "Additional")],
        ),
        (
            vec![call("multiply", json!("{a: 2"))],
            vec![("tool_calls[0].arguments", "not valid JSON")],
        ),
        (
            vec![call("multiply", json!("[1, 2]"))],
            vec![("tool_calls[0].arguments", "must be a JSON object")],
        ),
        (
            vec![call("multiply", json!({"a": 1}))],
            vec![("tool_calls[0].arguments", "must be a JSON string")],
        ),
        (
            vec![call("now", json!("{}")), call("divide", json!("{}"))],
            vec![("tool_calls[1].function.name", "unknown tool \"divide\"")],
        ),
        (
            vec![json!({"id": "x", "type": "function"})],
            vec![("tool_calls[0].function", "missing")],
        ),
    ];
    for (calls, expected) in cases {
        let msg = json!({"role": "assistant", "content": null, "tool_calls": calls});
        // Content is not checked when the message only carries tool calls, even with a schema.
        for exp in [Expectation::None, Expectation::JsonObject] {
            let got = check_message(&msg, &exp, Some(&tools), &cache);
            assert_eq!(
                got.violations.len(),
                expected.len(),
                "{msg}: {:?}",
                got.violations
            );
            for (v, (path, word)) in got.violations.iter().zip(expected.iter()) {
                assert_eq!(v.path, *path, "{msg}");
                assert!(v.reason.contains(word), "{msg}: {v}");
                assert!(v.is_tool_call());
            }
        }
        // Without declared tools nothing is checked.
        assert!(check_message(&msg, &Expectation::None, None, &cache).is_ok());
    }
    // Non-function calls (custom tools) are not checked.
    let msg = json!({"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {"name": "x", "input": "?"}}]});
    assert!(check_message(&msg, &Expectation::None, Some(&tools), &cache).is_ok());
    // Content and tool calls are both checked when both are present.
    let msg = json!({"role": "assistant", "content": "nope", "tool_calls": [call("divide", json!("{}"))]});
    let got = check_message(&msg, &Expectation::JsonObject, Some(&tools), &cache);
    assert_eq!(paths(&got), vec!["", "tool_calls[0].function.name"]);
}

#[test]
fn violation_display_and_message_bounds() {
    let v = Violation::new("/risk_level", "\"high\" is not of type \"integer\"");
    assert_eq!(v.to_string(), "/risk_level: \"high\" is not of type \"integer\"");
    let long = Violation::new("/x", "y".repeat(5000));
    assert_eq!(long.reason.chars().count(), REASON_LIMIT + 1);
    let one = violations_message(std::slice::from_ref(&v));
    assert_eq!(
        one,
        "The model's output does not match the requested format (1 violation): /risk_level: \"high\" is not of type \"integer\""
    );
    let root = violations_message(&[Violation::new("", "expected a JSON object, got array")]);
    assert!(root.ends_with("(root): expected a JSON object, got array"));
    let many: Vec<Violation> = (0..250)
        .map(|i| Violation::new(format!("/items/{i}"), "z".repeat(1000)))
        .collect();
    let msg = violations_message(&many);
    assert!(msg.contains("(250 violations)"));
    assert!(msg.contains("/items/19:"));
    assert!(!msg.contains("/items/20:"));
    assert!(msg.ends_with("; and 230 more"));
    assert!(msg.chars().count() < (MESSAGE_VIOLATION_LIMIT + 1) * (REASON_LIMIT + 20) + 200);
    assert!(violations_message(&[]).ends_with("none"));
}

#[test]
fn gateway_flow_for_upstream_without_native_support() {
    let cache = SchemaCache::default();
    let mut req = schema_request(patient_report(), false);
    let exp = expectation(&req, &cache).unwrap();
    let text = instruction_for(&exp).unwrap();
    strip_response_format(&mut req);
    inject_instruction(&mut req, &text);
    assert_eq!(req.response_format, None);
    assert_eq!(req.messages.len(), 2);
    assert!(req.messages[0].text().contains("\"risk_level\""));
    // A fenced answer is accepted and cleaned; a bad one becomes a repair request.
    let good = "```json\n{\"diagnosis\": \"flu\", \"treatment_plan\": [], \"risk_level\": 1}\n```";
    let checked = check_message(&assistant(good), &exp, None, &cache);
    assert!(checked.is_ok());
    assert_eq!(
        checked.cleaned_content.as_deref(),
        Some("{\"diagnosis\": \"flu\", \"treatment_plan\": [], \"risk_level\": 1}")
    );
    let bad = assistant("{\"diagnosis\": \"flu\"}");
    let checked = check_message(&bad, &exp, None, &cache);
    assert_eq!(checked.violations.len(), 2);
    let repair = repair_request(&req, &bad, &checked.violations);
    assert_eq!(repair.messages.len(), 4);
    assert!(repair.messages[3].text().contains("treatment_plan"));
    assert!(repair.messages[3]
        .text()
        .contains("only the corrected JSON value"));
}

#[test]
fn expectation_shares_compiled_schema_across_requests() {
    let cache = SchemaCache::default();
    let mut seen: Option<Arc<Compiled>> = None;
    for _ in 0..100 {
        if let Ok(Expectation::JsonSchema { schema, .. }) =
            expectation(&schema_request(pydantic_nested(), false), &cache)
        {
            if let Some(prev) = &seen {
                assert!(Arc::ptr_eq(prev, &schema));
            }
            seen = Some(schema);
        }
    }
    assert!(seen.is_some());
    assert_eq!(cache.compile_count(), 1);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-z$#/{}\\[\\]`\" ]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("type"),
            Just("object"),
            Just("string"),
            Just("properties"),
            Just("required"),
            Just("items"),
            Just("$ref"),
            Just("#"),
            Just("#/$defs/a"),
            Just("anyOf"),
            Just("enum"),
            Just("minimum"),
            Just("tool_calls"),
            Just("content"),
            Just("refusal"),
            Just("function"),
            Just("arguments"),
            Just("{\"a\": 1}"),
            Just("```json\n{}\n```"),
            Just("pattern"),
            Just("^a+$")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let key = prop_oneof![
            Just("type".to_string()),
            Just("properties".to_string()),
            Just("required".to_string()),
            Just("items".to_string()),
            Just("$ref".to_string()),
            Just("$defs".to_string()),
            Just("anyOf".to_string()),
            Just("oneOf".to_string()),
            Just("allOf".to_string()),
            Just("enum".to_string()),
            Just("const".to_string()),
            Just("minItems".to_string()),
            Just("additionalProperties".to_string()),
            Just("content".to_string()),
            Just("tool_calls".to_string()),
            Just("function".to_string()),
            Just("name".to_string()),
            Just("arguments".to_string()),
            Just("refusal".to_string()),
            Just("a".to_string()),
            "[a-z]{1,3}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn nothing_panics_on_arbitrary_messages_and_schemas(message in arb_json(), schema in arb_json(), tools in arb_json(), seed in any::<u64>()) {
        let cache = SchemaCache::default();
        let tools: Vec<Value> = match tools {
            Value::Array(t) => t,
            other => vec![json!({"type": "function", "function": {"name": "f", "parameters": other}})],
        };
        let mut exps = vec![Expectation::None, Expectation::JsonObject];
        if let Ok(compiled) = cache.get_or_compile(&schema) {
            exps.push(Expectation::JsonSchema { name: "n".into(), schema: compiled, strict: false });
        }
        for exp in &exps {
            let checked = check_message(&message, exp, Some(&tools), &cache);
            let _ = violations_message(&checked.violations);
            let _ = instruction_for(exp);
        }
        let _ = strict_subset(&schema);
        let _ = example_instance(&schema, seed);
        let _ = invalid_instance(&schema, seed);
        if let Some(text) = message.as_str() {
            let _ = extract_json(text, seed % 2 == 0);
        }
        let mut req: ChatRequest = ChatRequest {
            model: "m".into(),
            response_format: Some(json!({"type": "json_schema", "json_schema": {"name": "n", "strict": seed % 2 == 0, "schema": schema}})),
            tools: Some(tools),
            ..Default::default()
        };
        let _ = expectation(&req, &cache);
        let _ = validate_tools(&req, &cache);
        let repaired = repair_request(&req, &message, &[Violation::new("tool_calls[0].arguments", "x")]);
        prop_assert_eq!(repaired.stream, Some(false));
        inject_instruction(&mut req, "Respond with only JSON.");
    }

    #[test]
    fn extraction_never_panics_on_arbitrary_text(text in ".{0,200}", want in any::<bool>()) {
        let _ = extract_json(&text, want);
    }
}

#[test]
fn deepest_parseable_schema_fits_a_worker_stack() {
    // serde_json refuses nesting past 128, so this is as deep as a request can get; run it on a
    // 2 MiB stack like a tokio worker (debug build, the worst case).
    let worker = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(|| {
        let mut s = String::from("{\"type\":\"string\"}");
        let mut inst = String::from("1");
        for _ in 0..62 {
            s = format!("{{\"type\":\"object\",\"properties\":{{\"a\":{s}}},\"required\":[\"a\"],\"additionalProperties\":false}}");
            inst = format!("{{\"a\":{inst}}}");
        }
        let schema: Value = serde_json::from_str(&s).unwrap();
        let cache = SchemaCache::default();
        let compiled = cache.get_or_compile(&schema).unwrap();
        let v = compiled.violations(&serde_json::from_str(&inst).unwrap(), "");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, "/a".repeat(62));
        assert!(compiled.is_valid(&example_instance(&schema, 1)));
        assert!(!compiled.is_valid(&invalid_instance(&schema, 1)));
        assert!(strict_subset(&schema).errors.is_empty());
        let exp = Expectation::JsonSchema { name: "deep".into(), schema: compiled, strict: true };
        let checked = check_message(&json!({"content": format!("Here: {inst}")}), &exp, None, &cache);
        assert_eq!(checked.violations.len(), 1);
        assert!(checked.cleaned_content.is_some());
    });
    assert!(worker.unwrap().join().is_ok());
}
