//! Team policy on every endpoint: embeddings under allowed models, rate limits and budgets with
//! their tokens and cost counted; `/v1/models` filtered to the team's models; refusals after
//! authentication counted with the team; and a token budget that holds under concurrency across
//! two gateway processes sharing one Redis (admission reserves, then settles).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/redis.rs"]
mod redis_support;

use common::*;
use gearbox::mock::MockOptions;
use redis_support::RedisServer;
use serde_json::{json, Value};
use std::time::Duration;

/// Teams: `narrow` may use only gpt-4o-mini; `limited` has rpm = 3; `metered` has a token
/// budget and an embeddings model with a price.
fn teams() -> String {
    format!(
        r#"
[models."embed-priced"]
upstream = "mock"
name = "text-embedding-3-small"
kind = "embedding"
price = {{ input = 100.0, output = 0.0 }}

[upstreams.dead]
base_url = "http://127.0.0.1:9/v1"
connect_timeout = "200ms"
request_timeout = "1s"

[models."dead-model"]
upstream = "dead"
kind = "chat"

[[teams.narrow.keys]]
sha256 = "{}"
[teams.narrow.policy]
mode = "chat"
allowed_models = ["gpt-4o-mini"]

[[teams.limited.keys]]
sha256 = "{}"
[teams.limited.policy.limits]
rpm = 3
[teams.limited.policy.cache]
enabled = false

[[teams.metered.keys]]
sha256 = "{}"
[teams.metered.policy.budget]
tokens_per_day = 40
"#,
        key_hash("narrow-key"),
        key_hash("limited-key"),
        key_hash("metered-key"),
    )
}

fn auth(key: &'static str) -> [(&'static str, &'static str); 2] {
    [("authorization", key), ("content-type", "application/json")]
}

fn embed(model: &str, input: &str) -> String {
    json!({"model": model, "input": input}).to_string()
}

async fn metrics(gw: &Running) -> String {
    request("GET", &gw.url("/metrics"), &[], "").await.text()
}

/// The value of the first metric line starting with `prefix` and containing every label.
fn metric_value(text: &str, prefix: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(prefix) && labels.iter().all(|lab| l.contains(lab)))
        .find_map(|l| l.rsplit(' ').next().and_then(|v| v.parse().ok()))
}

#[tokio::test]
async fn embeddings_are_refused_for_a_model_the_team_may_not_use() {
    let (mock, gw) = stack(MockOptions::default(), &teams()).await;
    let url = gw.url("/v1/embeddings");
    let r = request(
        "POST",
        &url,
        &auth("Bearer narrow-key"),
        embed("text-embedding-3-small", "hello"),
    )
    .await;
    let e = r.assert_error(403, "model_not_allowed");
    assert_eq!(e["type"], "permission_error");
    assert_eq!(e["param"], "model");
    assert!(e["message"].as_str().unwrap().contains("text-embedding-3-small"));
    assert_eq!(mock_stats(&mock).await["requests_total"], 0, "no upstream call");
    // A team without an allow-list may.
    let ok = request("POST", &url, &[ALPHA], embed("text-embedding-3-small", "hello")).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[tokio::test]
async fn embeddings_count_against_the_teams_rpm_with_chat() {
    let (mock, gw) = stack(MockOptions::default(), &teams()).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = request(
            "POST",
            &gw.url("/v1/embeddings"),
            &auth("Bearer limited-key"),
            embed("text-embedding-3-small", &format!("text {i}")),
        )
        .await;
        assert_eq!(r.header("x-ratelimit-limit-requests"), Some("3"), "{}", r.text());
        if r.status == 429 {
            r.assert_error(429, "rate_limit_exceeded");
            assert!(r.header("retry-after").is_some());
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // The same quota as chat: it is used up for chat too.
    let chat_r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &auth("Bearer limited-key"),
        chat("gpt-4o-mini", "hi").to_string(),
    )
    .await;
    chat_r.assert_error(429, "rate_limit_exceeded");
    assert_eq!(mock_stats(&mock).await["requests_total"], 3);
}

#[tokio::test]
async fn embeddings_tokens_and_cost_are_recorded_and_spend_the_budget() {
    let (_mock, gw) = stack(MockOptions::default(), &teams()).await;
    let url = gw.url("/v1/embeddings");
    // 100 bytes of input: 25 tokens (the mock counts a token per 4 bytes).
    let input = "abcd".repeat(25);
    let r = request(
        "POST",
        &url,
        &auth("Bearer metered-key"),
        embed("embed-priced", &input),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["usage"]["prompt_tokens"], 25);
    let m = metrics(&gw).await;
    let labels = ["team=\"metered\"", "model=\"embed-priced\""];
    assert_eq!(
        metric_value(
            &m,
            "gearbox_tokens_total{",
            &[&labels[..], &["type=\"prompt\""]].concat()
        ),
        Some(25.0),
        "{m}"
    );
    assert_eq!(
        metric_value(
            &m,
            "gearbox_tokens_total{",
            &[&labels[..], &["type=\"completion\""]].concat()
        ),
        None,
        "embeddings have no completion tokens"
    );
    let cost = metric_value(&m, "gearbox_cost_usd_total{", &labels).unwrap_or(0.0);
    assert!((cost - 25.0 * 100.0 / 1e6).abs() < 1e-9, "cost {cost}: {m}");
    // 25 of the 40-token budget spent; the next 25 fit (committed 25 < 40), then it is used up.
    let second = request(
        "POST",
        &url,
        &auth("Bearer metered-key"),
        embed("embed-priced", &input),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text());
    let third = request(
        "POST",
        &url,
        &auth("Bearer metered-key"),
        embed("embed-priced", &input),
    )
    .await;
    let e = third.assert_error(429, "budget_exceeded");
    assert!(e["message"].as_str().unwrap().contains("tokens_per_day"));
}

#[tokio::test]
async fn models_lists_only_the_teams_allowed_models() {
    let (_mock, gw) = stack(MockOptions::default(), &teams()).await;
    let ids = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let narrow = request("GET", &gw.url("/v1/models"), &auth("Bearer narrow-key"), "").await;
    assert_eq!(narrow.status, 200);
    assert_eq!(ids(narrow.json()), ["gpt-4o-mini"]);
    request(
        "GET",
        &gw.url("/v1/models/o3-mini"),
        &auth("Bearer narrow-key"),
        "",
    )
    .await
    .assert_error(404, "model_not_found");
    let one = request(
        "GET",
        &gw.url("/v1/models/gpt-4o-mini"),
        &auth("Bearer narrow-key"),
        "",
    )
    .await;
    assert_eq!(one.json()["id"], "gpt-4o-mini");
    // A team without an allow-list sees every model.
    let all = ids(get(&gw.url("/v1/models")).await.json());
    assert!(all.len() > 3 && all.iter().any(|m| m == "o3-mini"), "{all:?}");
}

#[tokio::test]
async fn refusals_after_authentication_are_counted_with_the_team() {
    let (_mock, gw) = stack(MockOptions::default(), &teams()).await;
    let chat_url = gw.url("/v1/chat/completions");
    let narrow = auth("Bearer narrow-key");
    // 403: a model the team may not use.
    request("POST", &chat_url, &narrow, chat("o3-mini", "x").to_string())
        .await
        .assert_error(403, "model_not_allowed");
    // 400: broken JSON.
    request("POST", &chat_url, &narrow, "{not json")
        .await
        .assert_error(400, "invalid_json");
    // 404: no such route.
    request("GET", &gw.url("/v1/nothing-here"), &narrow, "")
        .await
        .assert_error(404, "not_found");
    // 429: a rate limit.
    for _ in 0..4 {
        request(
            "POST",
            &chat_url,
            &auth("Bearer limited-key"),
            chat("gpt-4o-mini", "x").to_string(),
        )
        .await;
    }
    // 502: an upstream that cannot be reached.
    request(
        "POST",
        &chat_url,
        &auth("Bearer alpha-key"),
        chat("dead-model", "x").to_string(),
    )
    .await
    .assert_error(502, "upstream_unreachable");
    // 401: no team is known, and none is claimed.
    request("POST", &chat_url, &[("authorization", "Bearer wrong")], "{}")
        .await
        .assert_error(401, "invalid_api_key");
    let m = metrics(&gw).await;
    let count = |team: &str, class: &str| {
        m.lines()
            .filter(|l| {
                l.starts_with("gearbox_requests_total{")
                    && l.contains(&format!("team=\"{team}\""))
                    && l.contains(&format!("status_class=\"{class}\""))
            })
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum::<f64>()
    };
    assert_eq!(
        count("narrow", "4xx"),
        3.0,
        "403, 400 and 404 of team narrow:\n{m}"
    );
    assert_eq!(count("limited", "4xx"), 1.0, "the 429 of team limited:\n{m}");
    assert_eq!(count("alpha", "5xx"), 1.0, "the 502 of team alpha:\n{m}");
    assert_eq!(count("-", "4xx"), 1.0, "only the 401 has no team:\n{m}");
    assert_eq!(count("-", "5xx"), 0.0, "{m}");
}

/// The estimate the gateway reserves for a one-message chat request with `max_tokens`.
fn estimate(text: &str, max_tokens: u64) -> u64 {
    4 + (text.len() as u64).div_ceil(4) + max_tokens
}

/// The pinned bug: tokens_per_day = 2000, 200 concurrent requests over two replicas on one
/// Redis spent 3,676 tokens (84 % over), because the check read the total and reserved
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_budget_holds_under_concurrency_across_two_gateway_processes() {
    const BUDGET: u64 = 2000;
    const MAX_TOKENS: u64 = 24;
    let redis = RedisServer::start();
    // The upstream answers after 150 ms, so the requests are in flight together.
    let (mut mock, mock_addr) = spawn_announced(
        std::process::Command::new(env!("CARGO_BIN_EXE_gearbox"))
            .args(["mock", "--listen", "127.0.0.1:0", "--ttft-ms", "150"])
            .stderr(std::process::Stdio::null()),
        "gearbox mock",
    );
    let extra = format!(
        "[redis]\nurl = \"{}\"\ntimeout = \"500ms\"\n[[teams.budgeted.keys]]\nsha256 = \"{}\"\n\
         [teams.budgeted.policy]\nmode = \"chat\"\n[teams.budgeted.policy.budget]\ntokens_per_day = {BUDGET}\n\
         [teams.budgeted.policy.cache]\nenabled = false\n",
        redis.url(),
        key_hash("budgeted-key")
    );
    let cfg_path = process_config("budget", mock_addr.parse().unwrap(), &extra);
    let (mut p1, a1) = serve_process(&cfg_path, std::process::Stdio::null());
    let (mut p2, a2) = serve_process(&cfg_path, std::process::Stdio::null());

    let texts: Vec<String> = (0..200)
        .map(|i| format!("question number {i} about budgets"))
        .collect();
    let max_estimate = texts.iter().map(|t| estimate(t, MAX_TOKENS)).max().unwrap();
    let tasks: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let url = format!(
                "http://{}/v1/chat/completions",
                if i % 2 == 0 { &a1 } else { &a2 }
            );
            let mut body = chat("gpt-4o-mini", text);
            body["max_tokens"] = json!(MAX_TOKENS);
            tokio::spawn(async move {
                request("POST", &url, &auth("Bearer budgeted-key"), body.to_string()).await
            })
        })
        .collect();
    let (mut ok, mut refused, mut spent) = (0u64, 0u64, 0u64);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => {
                ok += 1;
                spent += r.json()["usage"]["total_tokens"].as_u64().unwrap();
            }
            429 => {
                r.assert_error(429, "budget_exceeded");
                refused += 1;
            }
            s => panic!("unexpected status {s}: {}", r.text()),
        }
    }
    // Every reservation settles to the real usage: the shared counter ends at what was spent.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut counted = 0u64;
    for _ in 0..100 {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("gearbox:rl:{budgeted}:spend:tokens:*")
            .query_async(&mut conn)
            .await
            .unwrap();
        let day = keys
            .iter()
            .find(|k| k.rsplit(':').next().is_some_and(|d| d.len() == 8));
        if let Some(day) = day {
            counted = redis::cmd("GET").arg(day).query_async(&mut conn).await.unwrap();
            if counted == spent {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for p in [&mut p1, &mut p2, &mut mock] {
        let _ = p.kill();
        let _ = p.wait();
    }
    let _ = std::fs::remove_dir_all(cfg_path.parent().unwrap());
    eprintln!(
        "budget {BUDGET}: {ok} admitted, {refused} refused, {spent} tokens spent (one request's maximum {max_estimate})"
    );
    assert_eq!(ok + refused, 200);
    assert!(ok > 0, "some requests fit the budget");
    assert!(
        spent <= BUDGET + max_estimate,
        "spent {spent} tokens against a budget of {BUDGET} (+ one request's maximum {max_estimate})"
    );
    assert_eq!(
        counted, spent,
        "the shared budget counter settles to the real usage"
    );
}
