//! Per-team policies end to end: isolation (limits, allowed models), a limit enforced exactly
//! across two gateways sharing a real Redis, the local fallback when Redis is down, budgets that
//! refuse or downgrade, rate headers, the policy endpoint, and hot reload (applied, rejected,
//! and a stream surviving it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/redis.rs"]
mod redis_support;

use common::*;
use gearbox::mock::MockOptions;
use http_body_util::BodyExt;
use redis_support::RedisServer;
use serde_json::json;
use std::time::Duration;

fn teams(extra: &str) -> String {
    format!(
        "[[teams.limited.keys]]\nsha256 = \"{}\"\n[teams.limited.policy.limits]\nrpm = 3\n\
         [[teams.narrow.keys]]\nsha256 = \"{}\"\n[teams.narrow.policy]\nmode = \"chat\"\nallowed_models = [\"gpt-4o-mini\"]\n{extra}",
        key_hash("limited-key"),
        key_hash("narrow-key")
    )
}

fn as_key(k: &'static str) -> [(&'static str, &'static str); 1] {
    [("authorization", k)]
}

#[tokio::test]
async fn limits_and_allowed_models_are_per_team() {
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, &teams(""))).await;
    let url = gw.url("/v1/chat/completions");
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = request(
            "POST",
            &url,
            &as_key("Bearer limited-key"),
            chat("gpt-4o-mini", &format!("q{i}")).to_string(),
        )
        .await;
        assert_eq!(
            r.header("x-ratelimit-limit-requests"),
            Some("3"),
            "every response of a limited team has the headers"
        );
        assert!(
            r.header("x-ratelimit-remaining-requests").is_some()
                && r.header("x-ratelimit-reset-requests").is_some()
        );
        statuses.push(r.status);
        if r.status == 429 {
            let e = r.assert_error(429, "rate_limit_exceeded");
            assert!(e["message"].as_str().unwrap().contains("requests per minute"));
            assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Team alpha has no limits and is not affected, and carries no rate headers.
    for i in 0..5 {
        let r = post_json(&url, &chat("gpt-4o-mini", &format!("alpha {i}"))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit-requests"), None);
    }
    // Allowed models: 403 naming the model.
    let e = request(
        "POST",
        &url,
        &as_key("Bearer narrow-key"),
        chat("o3-mini", "x").to_string(),
    )
    .await
    .assert_error(403, "model_not_allowed");
    assert!(e["message"].as_str().unwrap().contains("o3-mini"));
    assert_eq!(e["param"], "model");
    let ok = request(
        "POST",
        &url,
        &as_key("Bearer narrow-key"),
        chat("auto", "prove Fermat's little theorem").to_string(),
    )
    .await;
    assert_eq!(ok.status, 200, "routed to its chat target, which it may use");
    assert_eq!(
        post_json(&url, &chat("o3-mini", "x")).await.status,
        200,
        "alpha may use o3-mini"
    );
}

#[tokio::test]
async fn policy_endpoint_shows_only_the_callers_policy() {
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, &teams(""))).await;
    let r = request(
        "GET",
        &gw.url("/v1/gearbox/policy"),
        &as_key("Bearer limited-key"),
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["team"], "limited");
    assert_eq!(v["limits"]["requests_per_minute"], 3);
    assert_eq!(v["routing"]["mode"], "auto");
    let text = r.text();
    assert!(
        !text.contains("narrow") && !text.contains("alpha"),
        "no other team's data: {text}"
    );
    assert!(!text.contains(&key_hash("limited-key")), "no key hashes");
    let narrow = request(
        "GET",
        &gw.url("/v1/gearbox/policy"),
        &as_key("Bearer narrow-key"),
        "",
    )
    .await
    .json();
    assert_eq!(narrow["allowed_models"], json!(["gpt-4o-mini"]));
    assert_eq!(narrow["routing"]["mode"], "chat");
}

#[tokio::test]
async fn a_limit_holds_exactly_across_two_gateway_processes_sharing_redis() {
    let redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[redis]\nurl = \"{}\"\ntimeout = \"500ms\"\n[[teams.shared.keys]]\nsha256 = \"{}\"\n[teams.shared.policy.limits]\nrpm = 20\n[teams.shared.policy.cache]\nenabled = false\n",
        redis.url(),
        key_hash("shared-key")
    );
    let dir = std::env::temp_dir().join(format!("gearbox-rpm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_path = dir.join("g.toml");
    std::fs::write(
        &cfg_path,
        config_for(mock.addr, &extra).replace("api_key_env = \"TEST_UPSTREAM_KEY\"\n", ""),
    )
    .unwrap();
    let (mut p1, a1) = serve_process(&cfg_path, std::process::Stdio::null());
    let (mut p2, a2) = serve_process(&cfg_path, std::process::Stdio::null());
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let url = format!(
                "http://{}/v1/chat/completions",
                if i % 2 == 0 { &a1 } else { &a2 }
            );
            tokio::spawn(async move {
                request(
                    "POST",
                    &url,
                    &as_key("Bearer shared-key"),
                    chat("gpt-4o-mini", &format!("r{i}")).to_string(),
                )
                .await
                .status
            })
        })
        .collect();
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            429 => limited += 1,
            s => panic!("unexpected status {s}"),
        }
    }
    for p in [&mut p1, &mut p2] {
        let _ = p.kill();
        let _ = p.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((ok, limited), (20, 20), "20 rpm across two gateway processes");
    assert_eq!(mock_stats(&mock).await["requests_total"], 20);
}

#[tokio::test]
async fn redis_down_falls_back_to_the_local_share_never_an_outage() {
    let mut redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[redis]\nurl = \"{}\"\ntimeout = \"100ms\"\n[limits]\nreplicas = 2\n[[teams.shared.keys]]\nsha256 = \"{}\"\n[teams.shared.policy.limits]\nrpm = 10\n[teams.shared.policy.cache]\nenabled = false\n",
        redis.url(),
        key_hash("shared-key")
    );
    let gw = start_gateway(&config_for(mock.addr, &extra)).await;
    redis.stop();
    let url = gw.url("/v1/chat/completions");
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(
            request(
                "POST",
                &url,
                &as_key("Bearer shared-key"),
                chat("gpt-4o-mini", &format!("d{i}")).to_string(),
            )
            .await
            .status,
        );
    }
    // Each of 2 replicas enforces 10 / 2 = 5 locally.
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
    let metrics = request("GET", &gw.url("/metrics"), &[], "").await.text();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("gearbox_limit_fallbacks_total") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

#[tokio::test]
async fn budgets_refuse_or_downgrade() {
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[[teams.frugal.keys]]\nsha256 = \"{}\"\n[teams.frugal.policy.budget]\ntokens_per_day = 30\n\
         [[teams.thrifty.keys]]\nsha256 = \"{}\"\n[teams.thrifty.policy.budget]\ntokens_per_day = 30\non_exceeded = \"downgrade\"\n",
        key_hash("frugal-key"),
        key_hash("thrifty-key")
    );
    let gw = start_gateway(&config_for(mock.addr, &extra)).await;
    let url = gw.url("/v1/chat/completions");
    const HARD: &str = "Prove that there are infinitely many primes of the form 4k+3.";
    for (key, downgrade) in [("Bearer frugal-key", false), ("Bearer thrifty-key", true)] {
        let first = request("POST", &url, &as_key(key), chat("auto", HARD).to_string()).await;
        assert_eq!(first.status, 200);
        assert_eq!(first.header("x-gearbox-route"), Some("reasoning"));
        // The spending is recorded in the background; wait until the budget sees it.
        let mut next = None;
        for i in 0..50 {
            let r = request(
                "POST",
                &url,
                &as_key(key),
                chat("auto", &format!("{HARD} ({i})")).to_string(),
            )
            .await;
            if r.status == 429 || r.header("x-gearbox-downgraded").is_some() {
                next = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let r = next.expect("the budget never took effect");
        if downgrade {
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-gearbox-downgraded"), Some("budget"));
            assert_eq!(r.header("x-gearbox-model"), Some("gpt-4o-mini"));
        } else {
            let e = r.assert_error(429, "budget_exceeded");
            assert!(e["message"].as_str().unwrap().contains("tokens_per_day"));
        }
    }
}

fn reload_config(mock: std::net::SocketAddr, extra: &str) -> String {
    // The reloader reads the real process environment: no variables the test does not set.
    config_for(mock, extra).replace("api_key_env = \"TEST_UPSTREAM_KEY\"\n", "")
}

async fn wait_for<F: Fn(&Resp) -> bool>(url: &str, key: &'static str, cond: F) -> Resp {
    for _ in 0..100 {
        let r = request("GET", url, &as_key(key), "").await;
        if cond(&r) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("condition never met for {url}");
}

#[tokio::test]
async fn reload_applies_valid_config_rejects_invalid_and_spares_streams() {
    let mock = start_mock(MockOptions {
        tokens_per_sec: 10.0,
        ..MockOptions::default()
    })
    .await;
    let dir = std::env::temp_dir().join(format!(
        "gearbox-reload-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gearbox.toml");
    std::fs::write(&path, reload_config(mock.addr, "")).unwrap();
    let gw = start_gateway_file(&path).await;

    // A slow stream in flight across the reload.
    let mut body = chat("gpt-4o-mini", "a long slow answer please");
    body["stream"] = json!(true);
    let resp = send(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[ALPHA],
        body.to_string(),
    )
    .await;
    assert_eq!(resp.status(), 200);

    // Valid change: a team policy appears (alpha becomes limited).
    std::fs::write(
        &path,
        reload_config(mock.addr, "[teams.alpha.policy.limits]\nrpm = 100\n"),
    )
    .unwrap();
    let r = wait_for(&gw.url("/v1/gearbox/policy"), "Bearer alpha-key", |r| {
        r.json()["limits"]["requests_per_minute"] == 100
    })
    .await;
    assert_eq!(r.status, 200);

    // Invalid change: rejected, the previous config keeps serving.
    std::fs::write(
        &path,
        reload_config(mock.addr, "[teams.alpha.policy.limits]\nrpm = 0\n"),
    )
    .unwrap();
    // Wait for the reloader to have read and refused it (no fixed sleep: a busy machine is slow).
    wait_for(&gw.url("/metrics"), "Bearer alpha-key", |r| {
        let t = r.text();
        t.contains("gearbox_config_reloads_total{result=\"rejected\"}")
            && !t.contains("gearbox_config_reloads_total{result=\"rejected\"} 0")
    })
    .await;
    let still = request("GET", &gw.url("/v1/gearbox/policy"), &[ALPHA], "")
        .await
        .json();
    assert_eq!(still["limits"]["requests_per_minute"], 100);
    let metrics = request("GET", &gw.url("/metrics"), &[], "").await.text();
    assert!(
        metrics.contains("gearbox_config_reloads_total{result=\"applied\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gearbox_config_reloads_total{result=\"rejected\"}"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("gearbox_config_reloads_total{result=\"rejected\"} 0"),
        "{metrics}"
    );

    // The stream that started before both reloads completes normally.
    let out = tokio::time::timeout(Duration::from_secs(20), resp.into_body().collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&out);
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert!(!text.contains("\"error\""), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn streamed_usage_is_accounted_even_when_the_client_did_not_ask_for_it() {
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[[teams.metered.keys]]\nsha256 = \"{}\"\n[teams.metered.policy.limits]\ntpm = 100000\n[teams.metered.policy.cache]\nenabled = false\n",
        key_hash("metered-key")
    );
    let gw = start_gateway(&config_for(mock.addr, &extra)).await;
    let mut body = chat("gpt-4o-mini", "count my tokens");
    body["stream"] = json!(true);
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &as_key("Bearer metered-key"),
        body.to_string(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        !r.text().contains("prompt_tokens"),
        "the client did not ask for usage: {}",
        r.text()
    );
    assert!(r.text().ends_with("data: [DONE]\n\n"));
    let sent = mock_stats(&mock).await["last_requests"][0]["body"].clone();
    assert_eq!(sent["stream_options"]["include_usage"], true);
    let metrics = request("GET", &gw.url("/metrics"), &[], "").await.text();
    let completion = metrics
        .lines()
        .find(|l| {
            l.starts_with("gearbox_tokens_total{")
                && l.contains("team=\"metered\"")
                && l.contains("type=\"completion\"")
        })
        .unwrap_or_else(|| panic!("no completion tokens counted:\n{metrics}"));
    assert!(!completion.ends_with(" 0"), "{completion}");
}

#[tokio::test]
async fn sighup_reloads_the_config() {
    let mock = start_mock(MockOptions::default()).await;
    let dir = std::env::temp_dir().join(format!("gearbox-hup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_path = dir.join("g.toml");
    std::fs::write(&cfg_path, reload_config(mock.addr, "")).unwrap();
    let (mut p, addr) = serve_process(&cfg_path, std::process::Stdio::null());
    let metrics_url = format!("http://{addr}/metrics");
    assert!(request("GET", &metrics_url, &[], "")
        .await
        .text()
        .contains("gearbox_config_reloads_total{result=\"applied\"} 0"));
    signal(p.id(), "-HUP");
    let mut reloaded = false;
    for _ in 0..100 {
        if request("GET", &metrics_url, &[], "")
            .await
            .text()
            .contains("gearbox_config_reloads_total{result=\"applied\"} 1")
        {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        request("GET", &format!("http://{addr}/healthz"), &[], "")
            .await
            .status
            == 200,
        "still serving"
    );
    let _ = p.kill();
    let _ = p.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(reloaded, "SIGHUP did not reload");
}

/// A reload cannot open a public listener: the gateway bound a non-loopback address with client
/// auth; a file that names loopback and turns auth off is rejected (the address stays as bound,
/// and the open-relay check is of that address), and keys are still required.
#[tokio::test]
async fn a_reload_naming_loopback_cannot_turn_auth_off_on_a_public_listener() {
    let mock = start_mock(MockOptions::default()).await;
    let dir = std::env::temp_dir().join(format!(
        "gearbox-reload-exposure-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gearbox.toml");
    let public = reload_config(mock.addr, "").replace("listen = \"127.0.0.1:0\"", "listen = \"0.0.0.0:0\"");
    assert!(public.contains("0.0.0.0:0"));
    std::fs::write(&path, &public).unwrap();
    let gw = start_gateway_file(&path).await;
    // Served (and so watching its file) before the file changes.
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[("content-type", "application/json")],
        chat("gpt-4o-mini", "hi").to_string(),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
    let open = reload_config(mock.addr, "").replace("mode = \"keys\"", "mode = \"none\"");
    assert!(open.contains("mode = \"none\""));
    std::fs::write(&path, &open).unwrap();
    let rejected = |t: &str| {
        t.lines()
            .any(|l| l.starts_with("gearbox_config_reloads_total{result=\"rejected\"}") && !l.ends_with(" 0"))
    };
    let metrics = wait_for(&gw.url("/metrics"), "", |r| rejected(&r.text())).await;
    assert!(
        !metrics.text().lines().any(|l| {
            l.starts_with("gearbox_config_reloads_total{result=\"applied\"}") && !l.ends_with(" 0")
        }),
        "{}",
        metrics.text()
    );
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[("content-type", "application/json")],
        chat("gpt-4o-mini", "hi").to_string(),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text());
    let _ = std::fs::remove_dir_all(&dir);
}
