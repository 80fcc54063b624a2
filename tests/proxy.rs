//! The drop-in proxy end to end: real HTTP on loopback, gateway in front of the mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::time::Duration;

/// Relaying tests: one attempt, so the upstream's answer is what the client sees (retries have
/// their own tests in `resilience.rs`).
const NO_RETRIES: &str = "[resilience]\nmax_attempts = 1\n";

#[tokio::test]
async fn non_streaming_matches_direct_mock() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let body = chat("gpt-4o-mini", "What is the capital of France?");
    let via = post_json(&gw.url("/v1/chat/completions"), &body).await;
    let direct = post_json(&mock.url("/v1/chat/completions"), &body).await;
    assert_eq!(via.status, 200, "{}", via.text());
    let (a, b) = (via.json(), direct.json());
    assert_eq!(a["choices"][0]["message"], b["choices"][0]["message"]);
    assert_eq!(a["usage"], b["usage"]);
    assert_eq!(a["model"], "gpt-4o-mini");
    assert_eq!(a["object"], "chat.completion");
    assert_eq!(via.header("x-gearbox-model"), Some("gpt-4o-mini"));
    assert!(via.header("x-request-id").is_some());
}

#[tokio::test]
async fn streaming_matches_direct_mock_with_usage() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let mut body = chat("o3-mini", "Stream me something");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let via = post_json(&gw.url("/v1/chat/completions"), &body).await;
    let direct = post_json(&mock.url("/v1/chat/completions"), &body).await;
    assert_eq!(via.status, 200);
    assert_eq!(via.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream_content(&via.text()), stream_content(&direct.text()));
    let events = sse_data(&via.text());
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let usage: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert!(
        usage["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(usage["choices"], json!([]));
    assert!(!via.text().contains("\"error\""));
}

#[tokio::test]
async fn first_chunk_arrives_before_the_mock_finishes() {
    let opts = MockOptions {
        tokens_per_sec: 20.0,
        ..MockOptions::default()
    };
    let (mock, gw) = stack(opts, "").await;
    let mut body = chat("gpt-4o-mini", "slow stream please");
    body["stream"] = json!(true);
    let resp = send(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[ALPHA, ("content-type", "application/json")],
        body.to_string(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut got = String::new();
    // Read until the first content token has arrived.
    while !stream_content(&got).contains("You") {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Ok(d) = frame.into_data() {
            got.push_str(&String::from_utf8_lossy(&d));
        }
    }
    // The mock is still producing this stream: nothing was buffered to the end.
    let stats = mock_stats(&mock).await;
    assert_eq!(stats["active_streams"], 1, "{stats}");
    assert_eq!(stats["completed_streams"], 0, "{stats}");
    let rest = body.collect().await.unwrap().to_bytes();
    got.push_str(&String::from_utf8_lossy(&rest));
    assert!(got.ends_with("data: [DONE]\n\n"));
    assert_eq!(mock_stats(&mock).await["completed_streams"], 1);
}

#[tokio::test]
async fn unknown_fields_are_forwarded_untouched_and_keys_swapped() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let body = json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi", "x_custom": {"nested": [1, 2.5, "z"]}}],
        "seed": 42,
        "metadata": {"trace": "abc"},
        "parallel_tool_calls": false,
        "some_future_field": {"a": null}
    });
    let r = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(r.status, 200);
    let stats = mock_stats(&mock).await;
    let last = &stats["last_requests"][0];
    assert_eq!(
        last["body"], body,
        "the upstream must see the client's body unchanged"
    );
    assert_eq!(last["authorization"], "Bearer upstream-secret");
}

#[tokio::test]
async fn public_name_maps_to_upstream_model() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("fast", "hi")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["model"],
        "gpt-4o",
        "the response names the model that served it"
    );
    let stats = mock_stats(&mock).await;
    assert_eq!(stats["per_model"]["gpt-4o"], 1);
    assert_eq!(stats["last_requests"][0]["body"]["model"], "gpt-4o");
}

#[tokio::test]
async fn auth_keys_map_to_teams_and_unknown_keys_are_rejected() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let body = chat("gpt-4o-mini", "hi").to_string();
    let none = request("POST", &url, &[], body.clone()).await;
    none.assert_error(401, "invalid_api_key");
    let wrong = request("POST", &url, &[("authorization", "Bearer nope")], body.clone()).await;
    wrong.assert_error(401, "invalid_api_key");
    assert!(
        !wrong.text().contains("nope"),
        "the presented key is never echoed"
    );
    let beta = request("POST", &url, &[("authorization", "Bearer beta-key")], body).await;
    assert_eq!(beta.status, 200);
    // Ops endpoints need no key.
    assert_eq!(request("GET", &gw.url("/healthz"), &[], "").await.status, 200);
}

#[tokio::test]
async fn auth_none_serves_everyone() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replace("mode = \"keys\"", "mode = \"none\"");
    let gw = start_gateway(&cfg).await;
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[],
        chat("gpt-4o-mini", "hi").to_string(),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn client_errors_are_openai_shaped() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let h = [ALPHA, ("content-type", "application/json")];
    let e = request(
        "POST",
        &url,
        &h,
        "{\"model\": \"gpt-4o-mini\",\n \"messages\": [}",
    )
    .await
    .assert_error(400, "invalid_json");
    assert!(e["message"].as_str().unwrap().contains("line 2"), "{e}");
    let e = request(
        "POST",
        &url,
        &h,
        r#"{"messages":[{"role":"user","content":"x"}]}"#,
    )
    .await
    .assert_error(400, "invalid_request");
    assert_eq!(e["param"], "model");
    let e = request(
        "POST",
        &url,
        &h,
        r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":"ten"}"#,
    )
    .await
    .assert_error(400, "invalid_request");
    assert_eq!(e["param"], "max_tokens");
    let e = post_json(&url, &chat("no-such-model", "x"))
        .await
        .assert_error(404, "model_not_found");
    assert_eq!(e["param"], "model");
    let big = chat("gpt-4o-mini", &"x".repeat(70_000));
    post_json(&url, &big).await.assert_error(413, "payload_too_large");
    request("GET", &url, &[ALPHA], "")
        .await
        .assert_error(405, "method_not_allowed");
    request("GET", &gw.url("/v1/nothing"), &[ALPHA], "")
        .await
        .assert_error(404, "not_found");
    // An embedding model is not a chat model.
    post_json(&url, &chat("text-embedding-3-small", "x"))
        .await
        .assert_error(404, "model_not_found");
}

#[tokio::test]
async fn upstream_unreachable_is_502() {
    // Bind then drop a listener so the port is closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let gw = start_gateway(&config_for(port, "")).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "x"))
        .await
        .assert_error(502, "upstream_unreachable");
}

#[tokio::test]
async fn upstream_timeout_is_504() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    mock_fault(&mock, json!({"kind": "stall", "ms": 10_000})).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "x"))
        .await
        .assert_error(504, "upstream_timeout");
}

#[tokio::test]
async fn upstream_errors_are_relayed_with_status_and_body() {
    let (mock, gw) = stack(MockOptions::default(), NO_RETRIES).await;
    mock_fault(
        &mock,
        json!({"kind": "status", "status": 429, "retry_after": 7, "message": "slow down"}),
    )
    .await;
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "x")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.json()["error"]["message"], "slow down");
    mock_fault(&mock, json!({"kind": "status", "status": 503})).await;
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "x")).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"]["code"], "mock_fault");
}

#[tokio::test]
async fn upstream_reset_and_invalid_json_are_502() {
    let (mock, gw) = stack(MockOptions::default(), NO_RETRIES).await;
    mock_fault(&mock, json!({"kind": "reset"})).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "x"))
        .await
        .assert_error(502, "upstream_unreachable");
    mock_fault(&mock, json!({"kind": "invalid_json"})).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "x"))
        .await
        .assert_error(502, "upstream_protocol_error");
}

#[tokio::test]
async fn stream_cut_mid_way_ends_with_error_event_then_done() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    for mode in ["eof", "reset"] {
        mock_fault(&mock, json!({"kind": "cut", "after_chunks": 2, "mode": mode})).await;
        let mut body = chat("gpt-4o-mini", "cut me");
        body["stream"] = json!(true);
        let r = post_json(&gw.url("/v1/chat/completions"), &body).await;
        assert_eq!(r.status, 200);
        let events = sse_data(&r.text());
        assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{mode}");
        let err: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
        assert!(
            err["error"]["code"].as_str().unwrap().starts_with("upstream_"),
            "{mode}: {err}"
        );
        assert!(
            !stream_content(&r.text()).is_empty(),
            "{mode}: chunks before the cut were relayed: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn models_embeddings_and_ops_endpoints() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let models = get(&gw.url("/v1/models")).await.json();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fast", "gpt-4o-mini", "o3-mini", "text-embedding-3-small"]);
    assert_eq!(get(&gw.url("/v1/models/o3-mini")).await.json()["id"], "o3-mini");
    get(&gw.url("/v1/models/zzz"))
        .await
        .assert_error(404, "model_not_found");

    let emb = post_json(
        &gw.url("/v1/embeddings"),
        &json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
    )
    .await;
    assert_eq!(emb.status, 200, "{}", emb.text());
    assert_eq!(emb.json()["data"].as_array().unwrap().len(), 2);
    assert_eq!(mock_stats(&mock).await["per_model"]["text-embedding-3-small"], 1);
    post_json(
        &gw.url("/v1/embeddings"),
        &json!({"model": "text-embedding-3-small"}),
    )
    .await
    .assert_error(400, "invalid_request");

    assert_eq!(request("GET", &gw.url("/readyz"), &[], "").await.status, 200);
    let metrics = request("GET", &gw.url("/metrics"), &[], "").await.text();
    assert!(metrics.contains("gearbox_build_info"), "{metrics}");
    assert!(
        metrics.contains(
            "gearbox_requests_total{endpoint=\"embeddings\",model=\"text-embedding-3-small\",route=\"passthrough\",status_class=\"2xx\",team=\"alpha\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn base_url_without_v1_also_works() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let r = post_json(&gw.url("/chat/completions"), &chat("gpt-4o-mini", "hi")).await;
    assert_eq!(r.status, 200);
}
