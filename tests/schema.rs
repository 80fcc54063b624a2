//! Structured outputs end to end: valid answers pass, invalid ones are repaired with one extra
//! call, hopeless ones fail with a 502 listing the violations; tool-call arguments likewise;
//! upstreams without native structured outputs get the schema in the prompt; bad client
//! schemas are 400s; structured streams are validated before the first byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::config::{self, ConfigSource};
use gearbox::mock::MockOptions;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

fn patient_schema() -> Value {
    json!({"type": "json_schema", "json_schema": {"name": "PatientReport", "strict": true, "schema": {
        "type": "object",
        "properties": {
            "diagnosis": {"type": "string"},
            "treatment_plan": {"type": "array", "items": {"type": "string"}},
            "risk_level": {"type": "integer"}
        },
        "required": ["diagnosis", "treatment_plan", "risk_level"],
        "additionalProperties": false
    }}})
}

fn structured(text: &str) -> Value {
    let mut b = chat("gpt-4o-mini", text);
    b["response_format"] = patient_schema();
    b
}

fn multiply_tool() -> Value {
    json!({"type": "function", "function": {"name": "multiply", "description": "Multiply two numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}})
}

const EXTRA: &str = r#"
[models."plain-llm"]
upstream = "mock"
name = "llama-3.1-8b"
kind = "chat"
structured_outputs = false

[[teams.norepair.keys]]
sha256 = "NOREPAIR"
[teams.norepair.policy.schema]
max_repairs = 0
"#;

async fn schema_stack() -> (Running, Running) {
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(
        mock.addr,
        &EXTRA.replace("NOREPAIR", &key_hash("norepair-key")),
    ))
    .await;
    (mock, gw)
}

fn content(r: &Resp) -> Value {
    serde_json::from_str(r.json()["choices"][0]["message"]["content"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn valid_repaired_and_hopeless_answers() {
    let (mock, gw) = schema_stack().await;
    let url = gw.url("/v1/chat/completions");
    let ok = post_json(&url, &structured("summarise the chart")).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.header("x-gearbox-schema"), Some("valid"));
    assert!(content(&ok)["risk_level"].is_i64());

    mock_fault(&mock, json!({"kind": "invalid_output", "count": 1})).await;
    let before = mock_stats(&mock).await["requests_total"].as_u64().unwrap();
    let fixed = post_json(&url, &structured("second patient")).await;
    assert_eq!(fixed.status, 200, "{}", fixed.text());
    assert_eq!(fixed.header("x-gearbox-schema"), Some("repaired"));
    assert!(content(&fixed)["treatment_plan"].is_array());
    let stats = mock_stats(&mock).await;
    assert_eq!(
        stats["requests_total"].as_u64().unwrap() - before,
        2,
        "one extra call to repair"
    );
    let repair = stats["last_requests"].as_array().unwrap().last().unwrap()["body"].clone();
    let msgs = repair["messages"].as_array().unwrap();
    assert_eq!(
        msgs[msgs.len() - 2]["role"],
        "assistant",
        "the bad output goes back to the model"
    );
    assert!(
        msgs.last().unwrap()["content"].as_str().unwrap().contains('/'),
        "violations listed with their paths: {repair}"
    );

    mock_fault(&mock, json!({"kind": "invalid_output", "count": 2})).await;
    let bad = post_json(&url, &structured("third patient")).await;
    let e = bad.assert_error(502, "schema_violation");
    assert_eq!(bad.header("x-gearbox-schema"), Some("invalid"));
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("after 1 repair"), "{msg}");
    assert!(
        msg.contains("(root)") || msg.contains('/'),
        "the message names the paths: {msg}"
    );

    // A policy with no repairs fails at once.
    mock_fault(&mock, json!({"kind": "invalid_output", "count": 1})).await;
    let r = request(
        "POST",
        &url,
        &[("authorization", "Bearer norepair-key")],
        structured("fourth").to_string(),
    )
    .await;
    r.assert_error(502, "schema_violation");
    let metrics = request("GET", &gw.url("/metrics"), &[], "").await.text();
    for want in [
        "gearbox_schema_validations_total{result=\"repaired\"} 1",
        "gearbox_schema_validations_total{result=\"invalid\"} 2",
        "gearbox_schema_repairs_total{outcome=\"success\"} 1",
        "gearbox_schema_repairs_total{outcome=\"failure\"} 1",
    ] {
        assert!(metrics.contains(want), "missing {want}");
    }
}

#[tokio::test]
async fn json_object_and_tool_calls_are_enforced() {
    let (mock, gw) = schema_stack().await;
    let url = gw.url("/v1/chat/completions");
    let mut obj = chat("gpt-4o-mini", "give me an object");
    obj["response_format"] = json!({"type": "json_object"});
    mock_fault(&mock, json!({"kind": "invalid_output", "count": 1})).await;
    let r = post_json(&url, &obj).await;
    assert_eq!(r.header("x-gearbox-schema"), Some("repaired"), "{}", r.text());
    assert!(content(&r).is_object());

    let mut tools = chat("gpt-4o-mini", "what is 3 times 4.5?");
    tools["tools"] = json!([multiply_tool()]);
    let r = post_json(&url, &tools).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-schema"), Some("valid"));
    let call = &r.json()["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "multiply");
    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert!(args["a"].is_number() && args["b"].is_number());

    mock_fault(&mock, json!({"kind": "invalid_output", "count": 1})).await;
    tools["messages"][0]["content"] = json!("what is 7 times 6?");
    let r = post_json(&url, &tools).await;
    assert_eq!(r.header("x-gearbox-schema"), Some("repaired"), "{}", r.text());
}

#[tokio::test]
async fn upstreams_without_native_structured_outputs_get_the_schema_in_the_prompt() {
    let (mock, gw) = schema_stack().await;
    let mut b = structured("report for a plain model");
    b["model"] = json!("plain-llm");
    let r = post_json(&gw.url("/v1/chat/completions"), &b).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-schema"), Some("valid"));
    assert!(content(&r)["diagnosis"].is_string());
    let sent = mock_stats(&mock).await["last_requests"][0]["body"].clone();
    assert!(sent.get("response_format").is_none(), "{sent}");
    assert!(sent["messages"].to_string().contains("JSON Schema"), "{sent}");
    assert!(
        sent["messages"].to_string().contains("report for a plain model"),
        "the user's text is kept"
    );
}

#[tokio::test]
async fn bad_client_schemas_are_400s_naming_the_problem() {
    let (mock, gw) = schema_stack().await;
    let url = gw.url("/v1/chat/completions");
    let cases = [
        (
            json!({"type": "json_schema", "json_schema": {"name": "x"}}),
            "response_format.json_schema.schema",
        ),
        (
            json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "strnig"}}}),
            "response_format.json_schema.schema",
        ),
        (json!({"type": "yaml"}), "response_format.type"),
        (
            json!({"type": "json_schema", "json_schema": {"name": "x", "strict": true, "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}),
            "response_format.json_schema.schema",
        ),
    ];
    for (rf, param) in cases {
        let mut b = chat("gpt-4o-mini", "x");
        b["response_format"] = rf.clone();
        let e = post_json(&url, &b).await.assert_error(400, "invalid_request");
        assert_eq!(e["param"], param, "{rf}: {e}");
    }
    let mut b = chat("gpt-4o-mini", "x");
    b["tools"] = json!([{"type": "function", "function": {"name": "f", "parameters": {"type": 12}}}]);
    let e = post_json(&url, &b).await.assert_error(400, "invalid_request");
    assert!(e["param"].as_str().unwrap().starts_with("tools[0]"), "{e}");
    assert_eq!(
        mock_stats(&mock).await["requests_total"],
        0,
        "nothing reached the upstream"
    );
}

#[tokio::test]
async fn structured_streams_are_validated_before_the_first_byte() {
    let (mock, gw) = schema_stack().await;
    let url = gw.url("/v1/chat/completions");
    let mut b = structured("streamed report");
    b["stream"] = json!(true);
    b["stream_options"] = json!({"include_usage": true});
    mock_fault(&mock, json!({"kind": "invalid_output", "count": 1})).await;
    let r = post_json(&url, &b).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.header("x-gearbox-schema"), Some("repaired"));
    let v: Value = serde_json::from_str(&stream_content(&r.text())).unwrap();
    assert!(v["risk_level"].is_i64());
    assert!(r.text().contains("\"usage\":{"), "usage chunk when asked");
    assert!(r.text().ends_with("data: [DONE]\n\n"));
    // Hopeless: a clean 502 instead of a stream that turns out to be broken.
    mock_fault(&mock, json!({"kind": "invalid_output", "count": 2})).await;
    b["messages"][0]["content"] = json!("another streamed report");
    post_json(&url, &b).await.assert_error(502, "schema_violation");
}

#[tokio::test]
async fn a_schema_is_compiled_once_for_many_requests() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config::load_str(
        &config_for(mock.addr, ""),
        ConfigSource::File("<test>".into()),
        &test_env(),
    )
    .unwrap();
    let state = gearbox::state::AppState::new(cfg).unwrap();
    let svc = gearbox::app::build(state.clone());
    for i in 0..20 {
        let mut b = structured(&format!("patient {i}"));
        if i % 2 == 1 {
            // The same schema with its keys in another order.
            b["response_format"]["json_schema"]["schema"] = json!({
                "additionalProperties": false,
                "required": ["diagnosis", "treatment_plan", "risk_level"],
                "properties": {"risk_level": {"type": "integer"}, "treatment_plan": {"items": {"type": "string"}, "type": "array"}, "diagnosis": {"type": "string"}},
                "type": "object"
            });
        }
        let req = http::Request::post("/v1/chat/completions")
            .header("authorization", "Bearer alpha-key")
            .body(gearbox::http::full_body(b.to_string()))
            .unwrap();
        let resp = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let _ = resp.into_body().collect().await;
    }
    assert_eq!(state.schemas.compile_count(), 1);
}
