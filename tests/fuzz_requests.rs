//! Property test: no request body, however malformed, panics the gateway or goes unanswered.
//! Every answer is either a success from the mock or an OpenAI-shaped error with a 4xx/5xx status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::config::{self, ConfigSource};
use gearbox::mock::MockOptions;
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

fn check_response(status: u16, body: &[u8], input: &[u8]) {
    if (200..300).contains(&status) {
        return;
    }
    assert!(
        (400..600).contains(&status),
        "status {status} for {:?}",
        String::from_utf8_lossy(input)
    );
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("non-JSON error body for {:?}", String::from_utf8_lossy(input)));
    let e = &v["error"];
    assert!(
        e["message"].is_string()
            && e["type"].is_string()
            && e["code"].is_string()
            && e.get("param").is_some(),
        "{v}"
    );
}

/// Mutations of a valid body: truncation, byte flips, type swaps, deep nesting.
fn mutated_bodies() -> impl Strategy<Value = Vec<u8>> {
    let base = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"temperature":0.5,"stream":false}"#.as_bytes().to_vec();
    let len = base.len();
    prop_oneof![
        (0..len).prop_map({
            let b = base.clone();
            move |n| b[..n].to_vec()
        }),
        (0..len, any::<u8>()).prop_map({
            let b = base.clone();
            move |(i, x)| {
                let mut v = b.clone();
                v[i] = x;
                v
            }
        }),
        (0..len, proptest::collection::vec(any::<u8>(), 1..16)).prop_map({
            let b = base.clone();
            move |(i, ins)| {
                let mut v = b.clone();
                v.splice(i..i, ins);
                v
            }
        }),
        proptest::collection::vec(any::<u8>(), 0..256),
        (1usize..300).prop_map(|d| format!(
            r#"{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"x"}}],"x":{}{}}}"#,
            "[".repeat(d),
            "]".repeat(d)
        )
        .into_bytes()),
        prop::sample::select(vec![
            r#"{"model":null,"messages":[]}"#,
            r#"{"model":"gpt-4o-mini","messages":{}}"#,
            r#"{"model":"gpt-4o-mini","messages":[null]}"#,
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text"}]}]}"#,
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"\ud800"}]}"#,
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"n":0}"#,
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"n":-1}"#,
            r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":1e400}"#,
            "\u{feff}{}",
            "",
            "null",
            "\"str\"",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

#[test]
fn malformed_bodies_never_panic_and_always_get_an_openai_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (_mock, svc) = rt.block_on(async {
        let mock = start_mock(MockOptions::default()).await;
        let cfg = config::load_str(
            &config_for(mock.addr, ""),
            ConfigSource::File("<test>".into()),
            &test_env(),
        )
        .unwrap();
        let state = gearbox::app::AppState::new(cfg).unwrap();
        (mock, gearbox::app::build(state))
    });
    let cfg = ProptestConfig {
        cases: 600,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(cfg, |(body in mutated_bodies(), path in prop::sample::select(vec!["/v1/chat/completions", "/v1/embeddings"]))| {
        let svc = svc.clone();
        let input = body.clone();
        let (status, out) = rt.block_on(async move {
            let req = http::Request::builder()
                .method("POST")
                .uri(path)
                .header("authorization", "Bearer alpha-key")
                .body(gearbox::http::full_body(body))
                .unwrap();
            let resp = svc.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.into_body().collect().await.unwrap().to_bytes())
        });
        check_response(status, &out, &input);
    });
}
