//! Team policy on every endpoint: embeddings under allowed models, rate limits and budgets with
//! their tokens and cost counted; `/v1/models` filtered to the team's models; refusals after
//! authentication counted with the team; and a token budget that holds under concurrency across
//! two gateway processes sharing one Redis (admission reserves, then settles).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/redis.rs"]
mod redis_support;

use common::*;
use redis_support::RedisServer;
use serde_json::json;
use std::time::Duration;

fn auth(key: &'static str) -> [(&'static str, &'static str); 2] {
    [("authorization", key), ("content-type", "application/json")]
}

/// Start `gearbox serve --config FILE` as its own OS process; returns it and its address.
fn serve_process(config: &std::path::Path) -> (std::process::Child, String) {
    spawn_announced(
        std::process::Command::new(env!("CARGO_BIN_EXE_gearbox"))
            .args(["serve", "--config"])
            .arg(config)
            .stderr(std::process::Stdio::null()),
        "gearbox",
    )
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
    let dir = std::env::temp_dir().join(format!(
        "gearbox-budget-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_path = dir.join("g.toml");
    let cfg =
        config_for(mock_addr.parse().unwrap(), &extra).replace("api_key_env = \"TEST_UPSTREAM_KEY\"\n", "");
    std::fs::write(&cfg_path, cfg).unwrap();
    let (mut p1, a1) = serve_process(&cfg_path);
    let (mut p2, a2) = serve_process(&cfg_path);

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
    let _ = std::fs::remove_dir_all(&dir);
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
