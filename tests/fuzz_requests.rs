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
        let state = gearbox::state::AppState::new(cfg).unwrap();
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

/// SSE relay and assembler over arbitrary upstream bytes, split at arbitrary points: no panic,
/// and the client always gets a stream that ends with `[DONE]`.
#[test]
fn sse_relay_never_panics_and_always_ends_with_done() {
    use bytes::Bytes;
    use gearbox::cache::Assembler;
    use gearbox::stream::SseRelay;
    use std::time::Duration;

    let rt = tokio::runtime::Runtime::new().unwrap();
    let event = prop_oneof![
        Just(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n".to_vec()),
        Just(b"data: [DONE]\n\n".to_vec()),
        Just(b": keep-alive\n\n".to_vec()),
        Just(b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\r\n\r\n".to_vec()),
        Just("data: {\"x\":\"\u{00e9}\u{4e2d}\"}\n\n".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    let case = (
        proptest::collection::vec(event, 0..12),
        proptest::collection::vec(1usize..40, 1..8),
    );
    let cfg = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(cfg, |((events, cuts) in case)| {
        let all: Vec<u8> = events.concat();
        // Split the byte stream at arbitrary points (mid-line, mid-JSON, mid-UTF-8).
        let mut chunks = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < all.len() {
            let n = cuts[i % cuts.len()].min(all.len() - at);
            chunks.push(Bytes::copy_from_slice(&all[at..at + n]));
            at += n;
            i += 1;
        }
        let out = rt.block_on(async move {
            let (tx, body) = gearbox::http::ChannelBody::new(8);
            tokio::spawn(async move {
                for c in chunks {
                    if tx.send(Ok(c)).await.is_err() {
                        return; // the relay ended (e.g. at [DONE])
                    }
                }
            });
            let relay = SseRelay::new(body, Duration::from_secs(5), 256, Vec::new());
            relay.collect().await.unwrap().to_bytes()
        });
        prop_assert!(out.ends_with(b"data: [DONE]\n\n"), "{:?}", String::from_utf8_lossy(&out));
        let mut a = Assembler::default();
        a.push(&all);
        let _ = a.finish();
    });
}
