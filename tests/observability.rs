//! Observability: metric label cardinality stays bounded whatever clients send; the access log
//! is one structured line per request with no prompt text and no keys, a departed client's
//! request included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn series(metrics: &str) -> usize {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count()
}

#[tokio::test]
async fn cardinality_is_bounded_under_thousands_of_unknown_models_and_keys() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    // Warm every code path once so the baseline has its series.
    post_json(&url, &chat("gpt-4o-mini", "warm")).await;
    post_json(&url, &chat("unknown-0", "x")).await;
    request(
        "POST",
        &url,
        &[("authorization", "Bearer nope-0")],
        chat("gpt-4o-mini", "x").to_string(),
    )
    .await;
    let _ = request("GET", &gw.url("/v1/path-0"), &[ALPHA], "").await;
    let before_text = request("GET", &gw.url("/metrics"), &[], "").await.text();
    let before = series(&request("GET", &gw.url("/metrics"), &[], "").await.text());
    for i in 1..1500 {
        let model = format!("model-{i}-{}", "z".repeat(i % 40));
        post_json(&url, &chat(&model, "x"))
            .await
            .assert_error(404, "model_not_found");
        let key = format!("Bearer key-{i}");
        request(
            "POST",
            &url,
            &[("authorization", key.as_str())],
            chat("gpt-4o-mini", "x").to_string(),
        )
        .await
        .assert_error(401, "invalid_api_key");
        if i % 500 == 0 {
            let _ = request("GET", &gw.url(&format!("/v1/path-{i}")), &[ALPHA], "").await;
        }
    }
    let text = request("GET", &gw.url("/metrics"), &[], "").await.text();
    let after = series(&text);
    let new: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            let name = l.rsplit_once(' ').map_or(*l, |x| x.0);
            !before_text
                .lines()
                .any(|b| b.rsplit_once(' ').map_or(b, |x| x.0) == name)
        })
        .collect();
    assert!(
        after <= before + 2,
        "series grew from {before} to {after}: {new:#?}"
    );
    assert!(!text.contains("model-1-"), "a client string became a label value");
    assert!(!text.contains("key-1"), "a client key became a label value");
}

#[test]
fn access_log_is_structured_and_free_of_prompts_and_keys() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(start_mock(MockOptions::default()));
    let dir = std::env::temp_dir().join(format!("gearbox-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_path = dir.join("g.toml");
    let cfg = config_for(mock.addr, "[log]\nformat = \"json\"\n")
        .replace("api_key_env = \"TEST_UPSTREAM_KEY\"\n", "");
    std::fs::write(&cfg_path, cfg).unwrap();
    let (mut child, addr) = serve_process(&cfg_path, Stdio::piped());
    // Collect stderr as it comes: access lines are batched per thread (gearbox::access), and must
    // still show up promptly while the gateway runs, and all of them on a graceful stop.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let secret_prompt = "my-very-secret-prompt-text";
    rt.block_on(async {
        let url = format!("http://{addr}/v1/chat/completions");
        // Temperature 0: deterministic, so the second request is a cache hit.
        let mut greedy = chat("gpt-4o-mini", secret_prompt);
        greedy["temperature"] = json!(0);
        let r = request(
            "POST",
            &url,
            &[ALPHA, ("x-request-id", "req-from-client-1")],
            greedy.to_string(),
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-request-id"), Some("req-from-client-1"));
        let generated = request("POST", &url, &[ALPHA], greedy.to_string()).await;
        assert!(generated.header("x-request-id").is_some_and(|id| !id.is_empty()));
        let mut body = chat("gpt-4o-mini", secret_prompt);
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        body["temperature"] = json!(0.9);
        post_json(&url, &body).await;
    });
    let is_access = |l: &str| {
        serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["target"] == "gearbox::access")
    };
    // While it runs: the three lines arrive within the flush delay (50 ms), well under 5 s.
    let mut lines: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while lines.iter().filter(|l| is_access(l)).count() < 3 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => lines.push(l),
            Err(_) => panic!(
                "access lines did not arrive while the gateway ran:\n{}",
                lines.join("\n")
            ),
        }
    }
    // A request answered just before SIGTERM is logged too (written when the threads stop).
    rt.block_on(async {
        let r = request(
            "POST",
            &format!("http://{addr}/v1/chat/completions"),
            &[ALPHA, ("x-request-id", "req-before-stop")],
            chat("gpt-4o-mini", secret_prompt).to_string(),
        )
        .await;
        assert_eq!(r.status, 200);
    });
    signal(child.id(), "-TERM");
    let _ = child.wait();
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let logs = lines.join("\n");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!logs.contains(secret_prompt), "prompt text in logs:\n{logs}");
    assert!(!logs.contains("alpha-key"), "a key in logs");
    let mut access: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "gearbox::access")
        .collect();
    // Each worker thread writes its own batches: lines are in order per thread, and in time
    // order once sorted by their timestamps (fixed width, so text order is time order).
    access.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
    assert_eq!(access.len(), 4, "{logs}");
    assert_eq!(access[3]["request_id"], "req-before-stop");
    let first = &access[0];
    assert_eq!(first["request_id"], "req-from-client-1");
    for field in [
        "team",
        "route",
        "model",
        "status",
        "latency_ms",
        "overhead_ms",
        "prompt_tokens",
        "completion_tokens",
        "cache",
    ] {
        assert!(first.get(field).is_some(), "missing {field}: {first}");
    }
    assert_eq!(first["team"], "alpha");
    assert_eq!(first["status"], 200);
    assert!(first["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(access[1]["cache"], "hit");
    // The streamed request's usage arrives at the end of the stream and is logged.
    assert!(
        access[2]["completion_tokens"].as_u64().unwrap() > 0,
        "{}",
        access[2]
    );
}

/// Access lines the in-process gateways of this test binary write (through `tracing`: the direct
/// JSON writer is the binary's), captured once for the whole binary.
fn captured_access_log() -> &'static std::sync::Mutex<Vec<u8>> {
    static LOG: std::sync::OnceLock<&'static std::sync::Mutex<Vec<u8>>> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log: &'static std::sync::Mutex<Vec<u8>> = Box::leak(Box::default());
        struct Sink(&'static std::sync::Mutex<Vec<u8>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter("gearbox::access=info")
            .with_writer(move || Sink(log))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
}

fn in_flight(metrics: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("gearbox_in_flight_requests "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1.0)
}

/// Poll `/metrics` (bounded) until the in-flight gauge reads `want`, counting the scrape itself.
async fn wait_in_flight(gw: &Running, want: f64) {
    for _ in 0..250 {
        let m = request("GET", &gw.url("/metrics"), &[], "").await.text();
        if in_flight(&m) == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("gearbox_in_flight_requests never read {want}");
}

/// Regression: a client that disconnected before the response headers left
/// `gearbox_in_flight_requests` raised for ever and wrote no access-log line.
#[tokio::test]
async fn client_disconnect_before_headers_ends_in_flight_and_is_logged() {
    use tokio::io::AsyncWriteExt;
    let log = captured_access_log();
    let slow = MockOptions {
        ttft: std::time::Duration::from_secs(10),
        ..MockOptions::default()
    };
    let (_mock, gw) = stack(slow, "").await;
    let body = chat("gpt-4o-mini", "a question the client will not wait for").to_string();
    let mut conn = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: gearbox\r\nauthorization: Bearer alpha-key\r\n\
         x-request-id: req-gone-early\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body.as_bytes()).await.unwrap();
    // The request waits on the slow upstream: in flight with the scrape.
    wait_in_flight(&gw, 2.0).await;
    drop(conn);
    // Only the scrape itself is left in flight.
    wait_in_flight(&gw, 1.0).await;
    let line = (0..250)
        .find_map(|_| {
            let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
            let found = text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .find(|v| v["fields"]["request_id"] == "req-gone-early");
            if found.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            found
        })
        .expect("no access-log line for the departed client");
    assert_eq!(line["fields"]["status"], 499, "{line}");
    assert_eq!(line["fields"]["complete"], false, "{line}");
    assert_eq!(line["fields"]["endpoint"], "chat_completions", "{line}");
}
