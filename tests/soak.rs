//! Soak: the real binaries (mock and gateway) under moderate concurrent load with faults mixed
//! in, for `SOAK_SECS` seconds (default 60). Every request must get exactly one complete answer
//! (its own: answers echo a per-request id) or one clear error; the gateway's RSS must stay
//! flat. Run by `scripts/soak` (and by `scripts/test` with a short duration); ignored by plain
//! `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gearbox");

fn spawn(args: &[&str], what: &str) -> (Child, String) {
    spawn_announced(Command::new(BIN).args(args).stderr(Stdio::null()), what)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    clear_errors: AtomicU64,
    bad: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long-running: scripts/soak"]
async fn soak_under_faults() {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (mut mock, mock_addr) = spawn(
        &["mock", "--listen", "127.0.0.1:0", "--tokens-per-sec", "400"],
        "gearbox mock",
    );
    let dir = std::env::temp_dir().join(format!("gearbox-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("g.toml");
    let text = config_for(
        mock_addr.parse().unwrap(),
        "[policy]\nrouted_models = [\"auto\"]\n[policy.cache]\nenabled = false\n",
    )
    .replace("api_key_env = \"TEST_UPSTREAM_KEY\"\n", "")
    .replace("request_timeout = \"3s\"", "request_timeout = \"5s\"");
    std::fs::write(&cfg, text).unwrap();
    let (mut gw, gw_addr) = spawn(&["serve", "--config", cfg.to_str().unwrap()], "gearbox");
    let url = format!("http://{gw_addr}/v1/chat/completions");

    // Warm up, then take the baseline RSS.
    for i in 0..200 {
        post_json(&url, &chat("gpt-4o-mini", &format!("warm {i}"))).await;
    }
    let rss_start = rss_kib(gw.id());
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let seq = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for w in 0..16 {
        let (url, tally, seq, mock_addr) = (url.clone(), tally.clone(), seq.clone(), mock_addr.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                if w == 0 && n % 25 == 0 {
                    let fault = match (n / 25) % 4 {
                        0 => json!({"kind": "status", "status": 503}),
                        1 => json!({"kind": "reset"}),
                        2 => json!({"kind": "cut", "after_chunks": 3}),
                        _ => json!({"kind": "status", "status": 500, "count": 3}),
                    };
                    let _ = request(
                        "POST",
                        &format!("http://{mock_addr}/mock/faults"),
                        &[],
                        fault.to_string(),
                    )
                    .await;
                }
                let id = format!("req-{n}");
                let stream = n % 2 == 0;
                let model = if n % 3 == 0 { "auto" } else { "gpt-4o-mini" };
                let mut body = chat(model, &id);
                if stream {
                    body["stream"] = json!(true);
                }
                let r = post_json(&url, &body).await;
                let text = r.text();
                let good = if r.status == 200 && stream {
                    let errors = text.matches("\"error\"").count();
                    let done = text.matches("data: [DONE]").count();
                    done == 1
                        && text.ends_with("data: [DONE]\n\n")
                        && ((errors == 0 && stream_content(&text).contains(&id)) || errors == 1)
                } else if r.status == 200 {
                    r.json()["choices"][0]["message"]["content"]
                        .as_str()
                        .is_some_and(|c| c.contains(&format!("{id} ")) || c.ends_with(&id))
                } else {
                    serde_json::from_str::<serde_json::Value>(&text)
                        .is_ok_and(|v| v["error"]["message"].is_string())
                };
                let counter = match (good, r.status == 200 && !text.contains("\"error\"")) {
                    (true, true) => &tally.ok,
                    (true, false) => &tally.clear_errors,
                    (false, _) => &tally.bad,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                if !good {
                    eprintln!(
                        "bad answer for {id} (status {}): {}",
                        r.status,
                        &text[..text.len().min(300)]
                    );
                }
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let rss_end = rss_kib(gw.id());
    let (ok, errs, bad) = (
        tally.ok.load(Ordering::Relaxed),
        tally.clear_errors.load(Ordering::Relaxed),
        tally.bad.load(Ordering::Relaxed),
    );
    println!("soak {secs}s: {ok} complete answers, {errs} clear errors, {bad} bad; RSS {rss_start} KiB -> {rss_end} KiB");
    let _ = gw.kill();
    let _ = mock.kill();
    let _ = gw.wait();
    let _ = mock.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        bad, 0,
        "every request gets one complete answer or one clear error"
    );
    assert!(ok > 100 * secs.min(10), "too little traffic: {ok}");
    assert!(
        rss_end <= rss_start + rss_start / 2 + 8 * 1024,
        "RSS grew from {rss_start} KiB to {rss_end} KiB"
    );
}
