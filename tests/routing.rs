//! Routing end to end: routed names are classified and served by the chat or reasoning target,
//! concrete names pass through, overrides and shadow mode behave as the policy says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use serde_json::json;

const EASY: &str = "hi! how's your day going?";
const HARD: &str = "A bag has 5 red and 7 blue marbles. Three are drawn without replacement. What is the probability that exactly two are red? Give the exact fraction.";

const TEAMS: &str = r#"
[policy]
routed_models = ["auto", "gpt-4o"]

[[teams.shadowy.keys]]
sha256 = "SHADOW"
[teams.shadowy.policy]
mode = "shadow"
routed_models = ["auto", "gpt-4o-mini"]

[[teams.strict.keys]]
sha256 = "STRICT"
[teams.strict.policy]
allow_override = false
"#;

async fn routed_stack() -> (Running, Running) {
    let mock = start_mock(MockOptions::default()).await;
    let extra = TEAMS
        .replace("SHADOW", &key_hash("shadow-key"))
        .replace("STRICT", &key_hash("strict-key"));
    let cfg = config_for(mock.addr, &extra).replace(
        "\n[models.\"fast\"]",
        "\n[models.\"gpt-4o\"]\nupstream = \"mock\"\n\n[models.\"fast\"]",
    );
    let gw = start_gateway(&cfg).await;
    (mock, gw)
}

async fn served_by(mock: &Running) -> String {
    mock_stats(mock).await["last_requests"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["model"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn auto_routes_easy_to_chat_and_hard_to_reasoning() {
    let (mock, gw) = routed_stack().await;
    let url = gw.url("/v1/chat/completions");
    let r = post_json(&url, &chat("auto", EASY)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-route"), Some("chat"));
    assert_eq!(r.header("x-gearbox-model"), Some("gpt-4o-mini"));
    let score: f32 = r.header("x-gearbox-score").unwrap().parse().unwrap();
    assert!(score < 0.5);
    assert_eq!(served_by(&mock).await, "gpt-4o-mini");
    assert_eq!(r.json()["model"], "gpt-4o-mini");

    let r = post_json(&url, &chat("auto", HARD)).await;
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert_eq!(r.header("x-gearbox-model"), Some("o3-mini"));
    assert_eq!(served_by(&mock).await, "o3-mini");
    // A name the policy lists routes too, so existing apps route without code changes.
    let r = post_json(&url, &chat("gpt-4o", HARD)).await;
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert_eq!(served_by(&mock).await, "o3-mini");
}

#[tokio::test]
async fn concrete_models_pass_through_without_route_headers() {
    let (mock, gw) = routed_stack().await;
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", HARD)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-gearbox-route"), None);
    assert_eq!(served_by(&mock).await, "gpt-4o-mini");
}

#[tokio::test]
async fn route_header_forces_unless_the_policy_forbids_it() {
    let (mock, gw) = routed_stack().await;
    let url = gw.url("/v1/chat/completions");
    let body = chat("auto", EASY).to_string();
    let r = request(
        "POST",
        &url,
        &[ALPHA, ("x-gearbox-route", "reasoning")],
        body.clone(),
    )
    .await;
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert_eq!(served_by(&mock).await, "o3-mini");
    request("POST", &url, &[ALPHA, ("x-gearbox-route", "fast")], body.clone())
        .await
        .assert_error(400, "invalid_request");
    let e = request(
        "POST",
        &url,
        &[
            ("authorization", "Bearer strict-key"),
            ("x-gearbox-route", "chat"),
        ],
        body.clone(),
    )
    .await
    .assert_error(403, "forbidden");
    assert_eq!(e["param"], "x-gearbox-route");
    let ok = request("POST", &url, &[("authorization", "Bearer strict-key")], body).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn shadow_mode_records_but_does_not_change_the_model() {
    let (mock, gw) = routed_stack().await;
    let url = gw.url("/v1/chat/completions");
    let h = [("authorization", "Bearer shadow-key")];
    let r = request("POST", &url, &h, chat("gpt-4o-mini", HARD).to_string()).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        served_by(&mock).await,
        "gpt-4o-mini",
        "shadow mode never changes the model"
    );
    assert_eq!(r.header("x-gearbox-shadow-route"), Some("reasoning"));
    let metrics = request("GET", &gw.url("/metrics"), &[], "").await.text();
    assert!(
        metrics.contains("gearbox_shadow_decisions_total{served=\"chat\",would_route=\"reasoning\"} 1"),
        "{metrics}"
    );
    // `auto` has no model of its own: shadow serves it with the chat target.
    request("POST", &url, &h, chat("auto", HARD).to_string()).await;
    assert_eq!(served_by(&mock).await, "gpt-4o-mini");
}

#[tokio::test]
async fn route_endpoint_decides_without_calling_upstream() {
    let (mock, gw) = routed_stack().await;
    let r = post_json(&gw.url("/v1/route"), &chat("auto", HARD)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["route"], "reasoning");
    assert!(v["score"].as_f64().unwrap() > 0.5);
    assert!(!v["reasons"].as_array().unwrap().is_empty());
    assert!(v["reasons"][0]["feature"].is_string() && v["reasons"][0]["weight"].is_number());
    let no_model = post_json(
        &gw.url("/v1/route"),
        &json!({"messages": [{"role": "user", "content": EASY}]}),
    )
    .await;
    assert_eq!(no_model.json()["route"], "chat");
    post_json(&gw.url("/v1/route"), &json!({"messages": []}))
        .await
        .assert_error(400, "invalid_request");
    assert_eq!(mock_stats(&mock).await["requests_total"], 0);
}
