//! A Redis outage is loud and cheap: a hung Redis (SIGSTOP) is found down after the first
//! operation past its deadline, logged once at warn, shown by `gearbox_redis_up`, and skipped by
//! every caller (cache tier and shared limits) until a probe after the cooldown finds it back.
//! Real redis-server, the real gateway binary over loopback, `gearbox mock` upstream.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/redis.rs"]
mod redis_support;

use common::*;
use redis_support::RedisServer;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Redis deadline in this test: large, so a request that waits for Redis is unmistakable.
const DEADLINE_MS: u128 = 500;

/// One cacheable request of team alpha (which has shared limits); its latency.
async fn timed(addr: &str, text: &str) -> Duration {
    let mut body = chat("gpt-4o-mini", text);
    body["temperature"] = json!(0);
    let t = Instant::now();
    let r = request(
        "POST",
        &format!("http://{addr}/v1/chat/completions"),
        &[ALPHA],
        body.to_string(),
    )
    .await;
    let took = t.elapsed();
    assert_eq!(r.status, 200, "{}", r.text());
    took
}

async fn redis_up_gauge(addr: &str) -> String {
    let m = request("GET", &format!("http://{addr}/metrics"), &[], "")
        .await
        .text();
    m.lines()
        .find(|l| l.starts_with("gearbox_redis_up "))
        .unwrap_or_else(|| panic!("no gearbox_redis_up in /metrics:\n{m}"))
        .trim_start_matches("gearbox_redis_up ")
        .to_string()
}

fn ms(d: &[Duration]) -> Vec<u128> {
    d.iter().map(Duration::as_millis).collect()
}

#[test]
fn a_hung_redis_is_logged_once_and_skipped_until_it_is_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let redis = RedisServer::start();
    let (mut mock, mock_addr) = spawn_announced(
        Command::new(env!("CARGO_BIN_EXE_gearbox"))
            .args(["mock", "--listen", "127.0.0.1:0"])
            .stderr(Stdio::null()),
        "gearbox mock",
    );
    let extra = format!(
        "[redis]\nurl = \"{}\"\ntimeout = \"{DEADLINE_MS}ms\"\ncooldown = \"1s\"\n\
         [teams.alpha.policy.limits]\nrpm = 100000\n[log]\nformat = \"text\"\nlevel = \"info\"\n",
        redis.url()
    );
    let cfg_path = process_config("redis-outage", mock_addr.parse().unwrap(), &extra);
    let (mut gw, addr) = spawn_announced(
        Command::new(env!("CARGO_BIN_EXE_gearbox"))
            .args(["serve", "--config"])
            .arg(&cfg_path)
            .env_remove("RUST_LOG")
            .stderr(Stdio::piped()),
        "gearbox",
    );
    let stderr = gw.stderr.take().unwrap();
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = logs.clone();
    let reader = std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    let count = |needle: &str| logs.lock().unwrap().iter().filter(|l| l.contains(needle)).count();

    rt.block_on(async {
        // Redis up: requests are fast and the gauge says up.
        let mut up = Vec::new();
        for i in 0..10 {
            up.push(timed(&addr, &format!("before the outage {i}")).await);
        }
        assert_eq!(redis_up_gauge(&addr).await, "1");

        // Redis hangs: the first request(s) wait out the deadline, then Redis is skipped.
        signal(redis.pid(), "-STOP");
        let mut down = Vec::new();
        for i in 0..20 {
            down.push(timed(&addr, &format!("during the outage {i}")).await);
        }
        let last = &down[10..];
        eprintln!("redis up: {:?} ms; redis stopped: {:?} ms", ms(&up), ms(&down));
        assert!(
            last.iter().all(|d| d.as_millis() < DEADLINE_MS / 2),
            "requests still wait for a hung Redis (deadline {DEADLINE_MS} ms): {:?} ms",
            ms(&down)
        );
        assert_eq!(redis_up_gauge(&addr).await, "0");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(count("redis down"), 1, "{:#?}", logs.lock().unwrap());

        // Redis resumes: after the cooldown a probe finds it and the gate closes.
        signal(redis.pid(), "-CONT");
        let t = Instant::now();
        let mut i = 0;
        while redis_up_gauge(&addr).await != "1" {
            assert!(t.elapsed() < Duration::from_secs(15), "Redis never came back");
            timed(&addr, &format!("after the outage {i}")).await;
            i += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for i in 0..5 {
            timed(&addr, &format!("back again {i}")).await;
        }
        assert_eq!(redis_up_gauge(&addr).await, "1");
        tokio::time::sleep(Duration::from_millis(100)).await;
    });

    signal(gw.id(), "-TERM");
    let _ = gw.wait();
    reader.join().unwrap();
    let _ = mock.kill();
    let _ = mock.wait();
    let _ = std::fs::remove_dir_all(cfg_path.parent().unwrap());
    let logs = logs.lock().unwrap().join("\n");
    let warn_lines = |needle: &str| {
        logs.lines()
            .filter(|l| l.contains(needle) && l.contains("WARN"))
            .count()
    };
    assert_eq!(warn_lines("redis down"), 1, "{logs}");
    assert_eq!(warn_lines("redis up"), 1, "{logs}");
    assert!(!logs.contains("alpha-key"), "a key in the logs");
    assert!(!logs.contains("during the outage"), "prompt text in the logs");
    assert!(!logs.contains(&redis.url()), "the Redis URL in the logs:\n{logs}");
}
