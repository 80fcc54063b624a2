//! The response cache end to end: hits, replays across stream/non-stream, what is never stored,
//! team isolation, coalescing (plain and streamed, and a failing leader), and the shared Redis
//! tier with a real redis-server that is stopped and restarted mid-test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/redis.rs"]
mod redis_support;

use common::*;
use gearbox::mock::MockOptions;
use redis_support::RedisServer;
use serde_json::{json, Value};
use std::time::Duration;

/// A deterministic (cacheable) request: `temperature: 0`. Without it OpenAI samples at 1, and
/// the gateway does not cache.
fn det(model: &str, text: &str) -> Value {
    let mut b = chat(model, text);
    b["temperature"] = json!(0);
    b
}

fn stream_body(model: &str, text: &str) -> Value {
    let mut b = det(model, text);
    b["stream"] = json!(true);
    b["stream_options"] = json!({"include_usage": true});
    b
}

async fn requests_total(mock: &Running) -> u64 {
    mock_stats(mock).await["requests_total"].as_u64().unwrap()
}

#[tokio::test]
async fn second_identical_request_is_a_hit_with_the_original_usage() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let body = det("gpt-4o-mini", "cache me");
    let a = post_json(&url, &body).await;
    let b = post_json(&url, &body).await;
    assert_eq!(a.header("x-gearbox-cache"), Some("miss"));
    assert_eq!(b.header("x-gearbox-cache"), Some("hit"));
    assert_eq!(
        a.json(),
        b.json(),
        "a hit returns the stored answer, usage included"
    );
    assert_eq!(requests_total(&mock).await, 1);
    // Key normalisation: key order, explicit defaults.
    let same = json!({"messages": [{"content": "cache me", "role": "user"}], "model": "gpt-4o-mini", "temperature": 0, "n": 1, "top_p": 1});
    let c = post_json(&url, &same).await;
    assert_eq!(
        c.header("x-gearbox-cache"),
        Some("hit"),
        "key order and explicit defaults share the key"
    );
    let other = json!({"messages": [{"content": "cache me", "role": "user"}], "model": "gpt-4o-mini", "temperature": 0, "top_p": 0.5});
    let d = post_json(&url, &other).await;
    assert_eq!(
        d.header("x-gearbox-cache"),
        Some("miss"),
        "top_p 0.5 differs from the default 1"
    );
    let e = post_json(&url, &other).await;
    assert_eq!(e.header("x-gearbox-cache"), Some("hit"));
}

#[tokio::test]
async fn entries_serve_streams_and_streams_fill_entries() {
    // Reasoning models sample at a fixed temperature of 1: only a trusted seed makes their
    // requests cacheable.
    let (mock, gw) = stack(MockOptions::default(), "[policy.cache]\ntrust_seed = true\n").await;
    let url = gw.url("/v1/chat/completions");
    // Plain entry -> streamed request.
    let plain = post_json(&url, &det("gpt-4o-mini", "plain first")).await;
    let replay = post_json(&url, &stream_body("gpt-4o-mini", "plain first")).await;
    assert_eq!(replay.header("x-gearbox-cache"), Some("hit"));
    assert_eq!(replay.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        stream_content(&replay.text()),
        plain.json()["choices"][0]["message"]["content"].as_str().unwrap()
    );
    let events = sse_data(&replay.text());
    assert_eq!(events.last().unwrap(), "[DONE]");
    let usage: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage["usage"], plain.json()["usage"]);
    // Streamed answer -> assembled entry -> plain request.
    let seeded = |mut b: Value| {
        b.as_object_mut().unwrap().remove("temperature");
        b["seed"] = json!(42);
        b
    };
    let streamed = post_json(&url, &seeded(stream_body("o3-mini", "stream first"))).await;
    assert_eq!(streamed.header("x-gearbox-cache"), Some("miss"));
    let hit = post_json(&url, &seeded(det("o3-mini", "stream first"))).await;
    assert_eq!(hit.header("x-gearbox-cache"), Some("hit"));
    assert_eq!(
        hit.json()["choices"][0]["message"]["content"].as_str().unwrap(),
        stream_content(&streamed.text())
    );
    assert!(
        hit.json()["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(requests_total(&mock).await, 2);
}

#[tokio::test]
async fn unsafe_or_failed_answers_are_never_stored() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    // Sampling at temperature 0.7: bypass.
    let mut hot = det("gpt-4o-mini", "creative");
    hot["temperature"] = json!(0.7);
    assert_eq!(
        post_json(&url, &hot).await.header("x-gearbox-cache"),
        Some("bypass")
    );
    assert_eq!(
        post_json(&url, &hot).await.header("x-gearbox-cache"),
        Some("bypass")
    );
    // An upstream error (after every retry) is not stored.
    mock_fault(&mock, json!({"kind": "status", "status": 500, "count": 3})).await;
    assert_eq!(post_json(&url, &det("gpt-4o-mini", "flaky")).await.status, 500);
    assert_eq!(
        post_json(&url, &det("gpt-4o-mini", "flaky"))
            .await
            .header("x-gearbox-cache"),
        Some("miss")
    );
    // A truncated stream is not stored.
    mock_fault(&mock, json!({"kind": "cut", "after_chunks": 2})).await;
    let cut = post_json(&url, &stream_body("gpt-4o-mini", "truncated")).await;
    assert!(cut.text().contains("\"error\""));
    assert_eq!(
        post_json(&url, &det("gpt-4o-mini", "truncated"))
            .await
            .header("x-gearbox-cache"),
        Some("miss")
    );
    // 2 bypassed + 3 failed attempts and 1 miss + 1 truncated stream (never retried) and 1 miss.
    assert_eq!(requests_total(&mock).await, 8);
}

/// Issue 22, finding 6: only what is deterministic by OpenAI's own defaults is cached.
#[tokio::test]
async fn only_deterministic_requests_are_cached_and_never_truncated_answers() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let cache_of = |r: &Resp| r.header("x-gearbox-cache").map(str::to_string);
    // No temperature: OpenAI samples at 1, so "regenerate" must reach the upstream again.
    for _ in 0..2 {
        let r = post_json(&url, &chat("gpt-4o-mini", "regenerate me")).await;
        assert_eq!(cache_of(&r).as_deref(), Some("bypass"));
    }
    // A seed alone is not trusted by default.
    let mut seeded = chat("gpt-4o-mini", "seeded");
    seeded["seed"] = json!(7);
    for _ in 0..2 {
        let r = post_json(&url, &seeded).await;
        assert_eq!(cache_of(&r).as_deref(), Some("bypass"));
    }
    // Temperature 0 is cached.
    let r = post_json(&url, &det("gpt-4o-mini", "greedy")).await;
    assert_eq!(cache_of(&r).as_deref(), Some("miss"));
    let r = post_json(&url, &det("gpt-4o-mini", "greedy")).await;
    assert_eq!(cache_of(&r).as_deref(), Some("hit"));
    // An answer cut by max_tokens (finish_reason "length") is never stored, whole or streamed.
    let mut cut = det("gpt-4o-mini", "a long answer cut short by the token budget");
    cut["max_tokens"] = json!(2);
    let mut cut_stream = stream_body("gpt-4o-mini", "another long answer cut short by the budget");
    cut_stream["max_tokens"] = json!(2);
    for body in [&cut, &cut_stream] {
        for _ in 0..2 {
            let r = post_json(&url, body).await;
            assert_eq!(r.status, 200, "{}", r.text());
            assert!(r.text().contains("\"length\""), "{}", r.text());
            assert_eq!(
                cache_of(&r).as_deref(),
                Some("miss"),
                "a truncated answer was stored"
            );
        }
    }
    // 2 unseeded + 2 seeded + 1 greedy + 2 cut + 2 cut streams.
    assert_eq!(requests_total(&mock).await, 9);

    // A policy that trusts seeds caches a seeded request.
    let (mock, gw) = stack(MockOptions::default(), "[policy.cache]\ntrust_seed = true\n").await;
    let url = gw.url("/v1/chat/completions");
    let r = post_json(&url, &seeded).await;
    assert_eq!(cache_of(&r).as_deref(), Some("miss"));
    let r = post_json(&url, &seeded).await;
    assert_eq!(cache_of(&r).as_deref(), Some("hit"));
    assert_eq!(requests_total(&mock).await, 1);
}

#[tokio::test]
async fn cache_control_no_cache_and_no_store() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let body = det("gpt-4o-mini", "directives").to_string();
    let h = |cc: &'static str| [ALPHA, ("cache-control", cc)];
    let r = request("POST", &url, &h("no-store"), body.clone()).await;
    assert_eq!(r.header("x-gearbox-cache"), Some("miss"));
    let r = request("POST", &url, &h("no-cache"), body.clone()).await;
    assert_eq!(
        r.header("x-gearbox-cache"),
        Some("bypass"),
        "no-cache skips the lookup"
    );
    // ... but the fresh answer was stored.
    let r = request("POST", &url, &[ALPHA], body).await;
    assert_eq!(r.header("x-gearbox-cache"), Some("hit"));
    assert_eq!(requests_total(&mock).await, 2);
}

#[tokio::test]
async fn teams_are_isolated_unless_they_share_a_namespace() {
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[[teams.gamma.keys]]\nsha256 = \"{}\"\n[teams.gamma.policy.cache]\nnamespace = \"shared\"\n\
         [[teams.delta.keys]]\nsha256 = \"{}\"\n[teams.delta.policy.cache]\nnamespace = \"shared\"\n",
        key_hash("gamma-key"),
        key_hash("delta-key")
    );
    let gw = start_gateway(&config_for(mock.addr, &extra)).await;
    let url = gw.url("/v1/chat/completions");
    let body = det("gpt-4o-mini", "team scoped").to_string();
    let as_team = |k: &'static str| [("authorization", k)];
    let a = request("POST", &url, &as_team("Bearer alpha-key"), body.clone()).await;
    let b = request("POST", &url, &as_team("Bearer beta-key"), body.clone()).await;
    assert_eq!(
        (a.header("x-gearbox-cache"), b.header("x-gearbox-cache")),
        (Some("miss"), Some("miss"))
    );
    let g = request("POST", &url, &as_team("Bearer gamma-key"), body.clone()).await;
    let d = request("POST", &url, &as_team("Bearer delta-key"), body).await;
    assert_eq!(
        (g.header("x-gearbox-cache"), d.header("x-gearbox-cache")),
        (Some("miss"), Some("hit"))
    );
    assert_eq!(requests_total(&mock).await, 3);
}

#[tokio::test]
async fn concurrent_identical_requests_reach_upstream_once() {
    let opts = MockOptions {
        ttft: Duration::from_millis(300),
        tokens_per_sec: 200.0,
        ..MockOptions::default()
    };
    let (mock, gw) = stack(opts, "").await;
    let url = gw.url("/v1/chat/completions");
    for stream in [false, true] {
        let text = format!("coalesce stream={stream}");
        let body = if stream {
            stream_body("gpt-4o-mini", &text)
        } else {
            det("gpt-4o-mini", &text)
        };
        let before = requests_total(&mock).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (url, body) = (url.clone(), body.clone());
                tokio::spawn(async move { post_json(&url, &body).await })
            })
            .collect();
        let mut statuses = Vec::new();
        let mut contents = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, 200);
            statuses.push(r.header("x-gearbox-cache").unwrap().to_string());
            contents.push(if stream {
                stream_content(&r.text())
            } else {
                r.json()["choices"][0]["message"]["content"]
                    .as_str()
                    .unwrap()
                    .to_string()
            });
            if stream {
                assert!(r.text().ends_with("data: [DONE]\n\n"));
            }
        }
        assert_eq!(
            requests_total(&mock).await - before,
            1,
            "stream={stream}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| *s == "miss").count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses
                .iter()
                .all(|s| s == "miss" || s == "coalesced" || s == "hit"),
            "{statuses:?}"
        );
        assert!(contents.iter().all(|c| c == &contents[0] && !c.is_empty()));
    }
}

#[tokio::test]
async fn waiters_fail_over_when_the_leader_fails() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    // Every attempt of the leader fails (3 attempts).
    mock_fault(
        &mock,
        json!({"kind": "status", "status": 503, "delay_ms": 400, "count": 3}),
    )
    .await;
    let url = gw.url("/v1/chat/completions");
    let body = det("gpt-4o-mini", "leader fails");
    let first = {
        let (url, body) = (url.clone(), body.clone());
        tokio::spawn(async move { post_json(&url, &body).await })
    };
    // The leader holds the flight once its first attempt reached the upstream.
    for _ in 0..500 {
        if requests_total(&mock).await >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        requests_total(&mock).await >= 1,
        "the leader never reached the upstream"
    );
    let rest: Vec<_> = (0..3)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            tokio::spawn(async move { post_json(&url, &body).await })
        })
        .collect();
    assert_eq!(first.await.unwrap().status, 503);
    for t in rest {
        assert_eq!(
            t.await.unwrap().status,
            200,
            "a waiter must fail over to its own call"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Redis tier

#[tokio::test]
async fn two_gateways_share_hits_through_redis_and_survive_its_outage() {
    let mut redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[redis]\nurl = \"redis://127.0.0.1:{}\"\ntimeout = \"100ms\"\ncooldown = \"1s\"\n",
        redis.port
    );
    let cfg = config_for(mock.addr, &extra);
    let gw1 = start_gateway(&cfg).await;
    let gw2 = start_gateway(&cfg).await;

    let body = det("gpt-4o-mini", "shared across replicas");
    let a = post_json(&gw1.url("/v1/chat/completions"), &body).await;
    assert_eq!(a.header("x-gearbox-cache"), Some("miss"));
    // The Redis write happens in the background; wait for it to land.
    let mut shared = false;
    for _ in 0..50 {
        let b = post_json(
            &gw2.url("/v1/chat/completions"),
            &det("gpt-4o-mini", "shared across replicas"),
        )
        .await;
        if b.header("x-gearbox-cache") == Some("hit") {
            assert_eq!(b.json(), a.json());
            shared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(shared, "gateway 2 never saw gateway 1's entry");
    assert_eq!(requests_total(&mock).await, 1);

    // Redis down: requests still succeed, served without the shared tier.
    redis.stop();
    for i in 0..3 {
        let r = post_json(
            &gw2.url("/v1/chat/completions"),
            &det("gpt-4o-mini", &format!("during outage {i}")),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let metrics = request("GET", &gw2.url("/metrics"), &[], "").await.text();
    assert!(metrics.contains("gearbox_redis_errors_total"), "{metrics}");

    // Redis back on the same port: the tier recovers (after the health gate's cooldown).
    let _redis = RedisServer::start_on(redis.port);
    let mut recovered = false;
    for i in 0..100 {
        let text = format!("after recovery {i}");
        post_json(&gw1.url("/v1/chat/completions"), &det("gpt-4o-mini", &text)).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let r = post_json(&gw2.url("/v1/chat/completions"), &det("gpt-4o-mini", &text)).await;
        if r.header("x-gearbox-cache") == Some("hit") {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the shared tier did not recover after Redis restarted");
}
