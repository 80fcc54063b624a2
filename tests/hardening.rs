//! Hardening (issue 22): hostile or broken input from clients and upstreams is bounded and
//! answered in the OpenAI error shape; upstream secrets and garbage never reach the client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use serde_json::json;

/// The `request_id` the mock saw on its most recent request.
async fn last_upstream_request_id(mock: &Running) -> serde_json::Value {
    let stats = mock_stats(mock).await;
    let last = stats["last_requests"].as_array().unwrap();
    last.last().unwrap()["request_id"].clone()
}

#[tokio::test]
async fn an_unbounded_or_unsafe_request_id_is_replaced_not_echoed_or_forwarded() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    // Distinct prompts, so that every request reaches the upstream (no cache hit).
    let body = |i: usize| chat("gpt-4o-mini", &format!("hello {i}")).to_string();

    // A short, safe id is kept: echoed and forwarded.
    let ok = "trace-1.a_b:c-2";
    let r = request("POST", &url, &[ALPHA, ("x-request-id", ok)], body(0)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-request-id"), Some(ok));
    assert_eq!(last_upstream_request_id(&mock).await, json!(ok));
    let longest = "a".repeat(128);
    let r = request("POST", &url, &[ALPHA, ("x-request-id", &longest)], body(1)).await;
    assert_eq!(r.header("x-request-id"), Some(longest.as_str()));

    // Too long (129 bytes, and 60 KB) or with unsafe characters: a generated id instead.
    let too_long = "a".repeat(129);
    let huge = "x".repeat(60 * 1024);
    let bad_ids = [too_long.as_str(), huge.as_str(), "a b", "id\"}{", "a/b", "é"];
    for (i, bad) in bad_ids.into_iter().enumerate() {
        let r = request("POST", &url, &[ALPHA, ("x-request-id", bad)], body(i + 2)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let echoed = r.header("x-request-id").unwrap_or_default().to_string();
        assert!(!echoed.is_empty(), "a generated id is echoed");
        assert_ne!(echoed, bad, "the bad id was echoed");
        assert!(echoed.starts_with("gbx-"), "{echoed}");
        let forwarded = last_upstream_request_id(&mock).await;
        assert_eq!(forwarded, json!(echoed), "the upstream got the generated id");
    }
}
