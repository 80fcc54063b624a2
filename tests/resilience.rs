//! Resilience proven by fault injection: retries before the first byte (plain and streamed),
//! never after; Retry-After honoured; deployments balanced and failed over with circuit
//! breakers; `/readyz` from circuit state; circuit probes that always resolve (deadline,
//! cancelled client); reasoning-to-chat fallback; client disconnects cancel the upstream;
//! graceful shutdown lets streams finish; every fault kind times streaming and non-streaming
//! ends bounded, with gauges back to zero; connect timeouts typed as timeouts; schema repair
//! calls retried, carrying the request id and ending by the request's one deadline; embeddings
//! calls under the same exchange.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn gauge(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0)
}

async fn metrics(gw: &Running) -> String {
    request("GET", &gw.url("/metrics"), &[], "").await.text()
}

/// In-flight requests and open streams return to zero (bounded wait for body-end accounting).
async fn assert_settled(gw: &Running) {
    for _ in 0..100 {
        let m = metrics(gw).await;
        // The /metrics request itself is in flight while it renders.
        if gauge(&m, "gearbox_in_flight_requests") <= 1.0 && gauge(&m, "gearbox_open_streams") == 0.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gauges did not return to zero:\n{}", metrics(gw).await);
}

fn streamed(model: &str, text: &str) -> Value {
    let mut b = chat(model, text);
    b["stream"] = json!(true);
    b
}

async fn total(mock: &Running) -> u64 {
    mock_stats(mock).await["requests_total"].as_u64().unwrap()
}

#[tokio::test]
async fn retries_happen_before_the_first_byte_only() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    for (i, fault) in [
        json!({"kind": "status", "status": 503}),
        json!({"kind": "reset"}),
        json!({"kind": "status", "status": 500}),
    ]
    .into_iter()
    .enumerate()
    {
        for stream in [false, true] {
            mock_fault(&mock, fault.clone()).await;
            let before = total(&mock).await;
            let body = if stream {
                streamed("gpt-4o-mini", &format!("retry {i}"))
            } else {
                chat("gpt-4o-mini", &format!("retry {i} plain"))
            };
            let r = post_json(&url, &body).await;
            assert_eq!(r.status, 200, "{fault} stream={stream}: {}", r.text());
            assert!(!r.text().contains("\"error\""), "{fault} stream={stream}");
            assert_eq!(
                total(&mock).await - before,
                2,
                "{fault} stream={stream}: one retry"
            );
        }
    }
    // A stream cut after bytes were sent is never retried: one upstream call, one error event.
    mock_fault(&mock, json!({"kind": "cut", "after_chunks": 2, "mode": "reset"})).await;
    let before = total(&mock).await;
    let r = post_json(&url, &streamed("gpt-4o-mini", "cut late")).await;
    assert_eq!(total(&mock).await - before, 1);
    assert!(r.text().contains("\"error\"") && r.text().ends_with("data: [DONE]\n\n"));
    let m = metrics(&gw).await;
    assert!(
        m.contains("gearbox_upstream_retries_total{reason=\"retry\",upstream=\"mock\"} 6"),
        "{m}"
    );
    assert_settled(&gw).await;
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    mock_fault(&mock, json!({"kind": "status", "status": 429, "retry_after": 1})).await;
    let t = Instant::now();
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "patience")).await;
    assert_eq!(r.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "waited only {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn attempts_are_bounded_and_the_last_answer_is_relayed() {
    let (mock, gw) = stack(MockOptions::default(), "[resilience]\nbackoff_base = \"1ms\"\n").await;
    mock_fault(&mock, json!({"kind": "status", "status": 503, "count": 0})).await;
    let before = total(&mock).await;
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "doomed")).await;
    assert_eq!(
        r.status, 503,
        "the upstream's own status and body after the last attempt"
    );
    assert_eq!(total(&mock).await - before, 3, "max_attempts = 3");
    assert_settled(&gw).await;
}

/// A config with two deployments of gpt-4o-mini: the mock and a closed port.
fn two_deployments(mock: std::net::SocketAddr, dead: std::net::SocketAddr, extra: &str) -> String {
    config_for(mock, extra)
        .replace(
            "[models.\"gpt-4o-mini\"]\nupstream = \"mock\"\nkind = \"chat\"\n",
            "[models.\"gpt-4o-mini\"]\nkind = \"chat\"\ndeployments = [{ upstream = \"mock\" }, { upstream = \"dead\" }]\n",
        )
        .replace("[models.\"o3-mini\"]\nupstream = \"mock\"\n", "[models.\"o3-mini\"]\nupstream = \"dead\"\n")
        + &format!("\n[upstreams.dead]\nbase_url = \"http://{dead}/v1\"\nconnect_timeout = \"200ms\"\n")
}

fn closed_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test]
async fn deployments_fail_over_circuits_open_and_readiness_follows() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = two_deployments(
        mock.addr,
        closed_port(),
        "[resilience]\ncircuit_failures = 2\ncircuit_cooldown = \"60s\"\nbackoff_base = \"1ms\"\n",
    );
    let gw = start_gateway(&cfg).await;
    let url = gw.url("/v1/chat/completions");
    // Ties are broken at random, so the dead deployment comes first in about half of the
    // requests; its circuit needs two failures. With 10 requests that failed to happen about
    // once in 90 runs (11/1024); with 40, about once in 27 billion.
    for i in 0..40 {
        let r = post_json(&url, &chat("gpt-4o-mini", &format!("balanced {i}"))).await;
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
    let m = metrics(&gw).await;
    assert!(
        m.contains("gearbox_circuit_state{model=\"gpt-4o-mini\",upstream=\"dead\"} 2"),
        "the dead deployment's circuit is open:\n{m}"
    );
    assert!(m.contains("gearbox_circuit_state{model=\"gpt-4o-mini\",upstream=\"mock\"} 0"));
    // Circuits are per deployment: o3-mini on the dead upstream is still closed, so the gateway
    // is ready; two failed calls open it, and readiness reports the model down.
    assert!(
        m.contains("gearbox_circuit_state{model=\"o3-mini\",upstream=\"dead\"} 0"),
        "{m}"
    );
    assert_eq!(request("GET", &gw.url("/readyz"), &[], "").await.status, 200);
    for i in 0..2 {
        assert_eq!(
            post_json(&url, &chat("o3-mini", &format!("trip {i}")))
                .await
                .status,
            502
        );
    }
    let fast = std::time::Instant::now();
    let r = post_json(&url, &chat("o3-mini", "while open")).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.text().contains("circuit open"), "{}", r.text());
    assert!(
        fast.elapsed() < Duration::from_millis(150),
        "an open circuit fails fast"
    );
    let ready = request("GET", &gw.url("/readyz"), &[], "").await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert_eq!(ready.json()["models_down"], json!(["o3-mini"]));
    assert_settled(&gw).await;
}

#[tokio::test]
async fn routed_reasoning_falls_back_to_the_chat_target() {
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&two_deployments(
        mock.addr,
        closed_port(),
        "[resilience]\nbackoff_base = \"1ms\"\n",
    ))
    .await;
    let hard = "Prove that the square root of 3 is irrational. Think step by step.";
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("auto", hard)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-fallback"), Some("chat"));
    assert_eq!(r.header("x-gearbox-route"), Some("chat"));
    assert_eq!(r.header("x-gearbox-model"), Some("gpt-4o-mini"));
    let sent = mock_stats(&mock).await["last_requests"][0]["body"].clone();
    assert_eq!(sent["model"], "gpt-4o-mini");
    assert!(
        sent["messages"].to_string().contains("Think step by step."),
        "the chat model gets the original prompt"
    );
    // Not routed: a request naming o3-mini gets no fallback.
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("o3-mini", hard)).await;
    assert!(r.status >= 500, "{}", r.text());
}

#[tokio::test]
async fn a_client_that_disconnects_cancels_the_upstream() {
    let (mock, gw) = stack(
        MockOptions {
            tokens_per_sec: 5.0,
            ..MockOptions::default()
        },
        "",
    )
    .await;
    let resp = send(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[ALPHA],
        streamed("gpt-4o-mini", "long story").to_string(),
    )
    .await;
    let mut body = resp.into_body();
    let _first = body.frame().await.unwrap().unwrap();
    drop(body);
    let mut cancelled = false;
    for _ in 0..100 {
        let s = mock_stats(&mock).await;
        if s["cancelled_streams"] == 1 && s["active_streams"] == 0 {
            cancelled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        cancelled,
        "the mock never saw the close: {}",
        mock_stats(&mock).await
    );
    assert_settled(&gw).await;
    assert!(metrics(&gw)
        .await
        .contains("gearbox_stream_outcomes_total{outcome=\"client_gone\"} 1"));
}

/// A gateway in the binary's serving mode: `run_workers` with `workers` threads, the acceptor
/// dealing connections to them.
struct Workers {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), gearbox::error::StartupError>>,
}

async fn start_workers(toml: &str, workers: usize) -> Workers {
    let mut cfg = gearbox::config::load_str(
        toml,
        gearbox::config::ConfigSource::File("<test>".into()),
        &test_env(),
    )
    .unwrap();
    cfg.server.workers = workers;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gearbox::run_workers(listener, cfg, async {
        let _ = stopped.await;
    }));
    Workers { addr, stop, server }
}

impl Workers {
    /// Signal shutdown now; the future waits (bounded) for the drain to finish.
    fn shut_down(self) -> impl std::future::Future<Output = ()> {
        self.stop.send(()).unwrap();
        async move {
            tokio::time::timeout(Duration::from_secs(10), self.server)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }
}

/// A chat request that must wait in the backlog for a connection slot (held by silent clients
/// until the 1 s header read timeout frees one) and then be served, not refused.
async fn served_once_a_slot_frees(url: &str, why: &str) {
    let t = Instant::now();
    let r = post_json(url, &chat("gpt-4o-mini", "after the idle ones")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "{why} ({:?})",
        t.elapsed()
    );
}

/// The binary's serving mode: the acceptor deals connections to worker threads (here 3), and a
/// shutdown must drain the streams on every thread, not only the acceptor's.
#[tokio::test]
async fn graceful_shutdown_drains_streams_on_every_worker_thread() {
    let mock = start_mock(MockOptions {
        tokens_per_sec: 20.0,
        ..MockOptions::default()
    })
    .await;
    let gw = start_workers(&config_for(mock.addr, ""), 3).await;
    let addr = gw.addr;
    // Four connections at once: two stay on the acceptor's thread, two go to the workers.
    let mut bodies = Vec::new();
    for i in 0..4 {
        let resp = send(
            "POST",
            &format!("http://{addr}/v1/chat/completions"),
            &[ALPHA],
            streamed("gpt-4o-mini", &format!("drain me {i}")).to_string(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        bodies.push((i, first, body));
    }
    let drained = gw.shut_down();
    for (i, first, body) in bodies {
        let rest = tokio::time::timeout(Duration::from_secs(10), body.collect())
            .await
            .unwrap()
            .unwrap()
            .to_bytes();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&rest)
        );
        assert!(
            text.ends_with("data: [DONE]\n\n") && stream_content(&text).contains(&format!("drain me {i}")),
            "stream {i} finished during the drain: {}",
            &text[text.len().saturating_sub(400)..]
        );
    }
    drained.await;
}

/// `max_connections` is one cap for the process, not one per worker thread: with two slots and
/// three threads, two silent connections hold both slots wherever they were dealt, and a third
/// client waits until the header read timeout frees one.
#[tokio::test]
async fn the_connection_cap_holds_across_worker_threads() {
    let mock = start_mock(MockOptions::default()).await;
    let text = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 65536\nmax_connections = 2\nheader_read_timeout = \"1s\"\n",
    );
    let gw = start_workers(&text, 3).await;
    let url = format!("http://{}/v1/chat/completions", gw.addr);
    // Served at once while slots are free.
    let r = post_json(&url, &chat("gpt-4o-mini", "before")).await;
    assert_eq!(r.status, 200);
    let idle_a = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let idle_b = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    served_once_a_slot_frees(
        &url,
        "a third connection was served while two held the process's two slots",
    )
    .await;
    drop((idle_a, idle_b));
    gw.shut_down().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_open_streams_finish() {
    let mock = start_mock(MockOptions {
        tokens_per_sec: 20.0,
        ..MockOptions::default()
    })
    .await;
    let mut gw = start_draining(&config_for(mock.addr, "")).await;
    let addr = gw.addr;
    let resp = send(
        "POST",
        &format!("http://{addr}/v1/chat/completions"),
        &[ALPHA],
        streamed("gpt-4o-mini", "drain me").to_string(),
    )
    .await;
    let mut body = resp.into_body();
    let _first = body.frame().await.unwrap().unwrap();
    gw.stop();
    let rest = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.ends_with("data: [DONE]\n\n"),
        "the stream finished during the drain: {text}"
    );
    gw.stopped().await;
    assert!(std::net::TcpStream::connect(addr).is_err(), "no longer accepting");
}

#[tokio::test]
async fn every_fault_kind_ends_bounded_plain_and_streamed() {
    // One attempt, and circuits that do not trip, so each fault's own outcome is observed.
    let (mock, gw) = stack(
        MockOptions::default(),
        "[resilience]\nmax_attempts = 1\ncircuit_failures = 1000\n",
    )
    .await;
    let url = gw.url("/v1/chat/completions");
    // (fault, expected plain status, streamed: expect an error event after a 200)
    let cases = [
        (json!({"kind": "status", "status": 500}), 500, None),
        (
            json!({"kind": "status", "status": 429, "retry_after": 3}),
            429,
            None,
        ),
        (json!({"kind": "reset"}), 502, None),
        (json!({"kind": "stall", "ms": 10000}), 504, None),
        (json!({"kind": "invalid_json"}), 502, Some(true)),
        (json!({"kind": "cut", "after_chunks": 2}), 502, Some(true)),
        (
            json!({"kind": "cut", "after_chunks": 2, "mode": "reset"}),
            502,
            Some(true),
        ),
        (json!({"kind": "drip", "ms_per_token": 20}), 200, Some(false)),
    ];
    for (i, (fault, plain_status, stream_error)) in cases.into_iter().enumerate() {
        for stream in [false, true] {
            mock_fault(&mock, fault.clone()).await;
            let body = if stream {
                streamed("gpt-4o-mini", &format!("f{i}"))
            } else {
                chat("gpt-4o-mini", &format!("f{i} plain"))
            };
            let t = Instant::now();
            let r = tokio::time::timeout(Duration::from_secs(10), post_json(&url, &body))
                .await
                .unwrap_or_else(|_| panic!("{fault} stream={stream}: hung"));
            assert!(
                t.elapsed() < Duration::from_secs(8),
                "{fault} stream={stream}: took {:?}",
                t.elapsed()
            );
            match (stream, stream_error) {
                (true, Some(expect_error)) => {
                    assert_eq!(r.status, 200, "{fault}");
                    assert!(r.text().ends_with("data: [DONE]\n\n"), "{fault}: {}", r.text());
                    assert_eq!(
                        r.text().contains("\"error\""),
                        expect_error,
                        "{fault}: {}",
                        r.text()
                    );
                }
                _ => {
                    assert_eq!(r.status, plain_status, "{fault} stream={stream}: {}", r.text());
                    if plain_status >= 400 {
                        assert!(r.json()["error"]["message"].is_string(), "{fault}: {}", r.text());
                    }
                }
            }
        }
        assert_settled(&gw).await;
    }
}

#[tokio::test]
async fn protections_bound_messages_and_connections() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 1048576\nmax_messages = 100\nmax_connections = 1\nheader_read_timeout = \"1s\"\n",
    );
    let gw = start_gateway(&cfg).await;
    let msgs: Vec<Value> = (0..101)
        .map(|i| json!({"role": "user", "content": format!("m{i}")}))
        .collect();
    let e = post_json(
        &gw.url("/v1/chat/completions"),
        &json!({"model": "gpt-4o-mini", "messages": msgs}),
    )
    .await
    .assert_error(400, "invalid_request");
    assert_eq!(e["param"], "messages");
    // A silent client holds the only slot until the header read timeout closes it; the next
    // client waits in the backlog instead of being refused.
    let idle = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    served_once_a_slot_frees(
        &gw.url("/v1/chat/completions"),
        "served only once the slot was free",
    )
    .await;
    drop(idle);
}

async fn readyz(gw: &Running) -> u16 {
    request("GET", &gw.url("/readyz"), &[], "").await.status
}

/// Poll `what` (bounded) until it holds; `false` if it never did within `within`.
async fn eventually<F, Fut>(within: Duration, mut what: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + within;
    while Instant::now() < end {
        if what().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The bug: a half-open circuit's probe that hit the request deadline, or whose client went
/// away, recorded neither success nor failure, so the circuit stayed half-open for ever (every
/// later request failed fast with "circuit open") while `/readyz` kept answering ready. Now
/// such a probe counts as a failure: the circuit reopens, readiness reports the model down, and
/// the next probe after the cooldown closes it again.
#[tokio::test]
async fn a_circuit_probe_that_times_out_or_is_cancelled_cannot_stick_half_open() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(
        mock.addr,
        "[resilience]\nmax_attempts = 1\ncircuit_failures = 1\ncircuit_cooldown = \"1s\"\n",
    )
    .replace("request_timeout = \"3s\"", "request_timeout = \"500ms\"");
    let gw = start_gateway(&cfg).await;
    let url = gw.url("/v1/chat/completions");
    let trip = |what: &'static str| {
        let (mock, url, gw) = (&mock, &url, &gw);
        async move {
            mock_fault(mock, json!({"kind": "status", "status": 503})).await;
            assert_eq!(post_json(url, &chat("gpt-4o-mini", what)).await.status, 503);
            assert_eq!(readyz(gw).await, 503, "{what}: open, so not ready");
        }
    };
    let recovers = |what: &'static str| {
        let (url, gw) = (&url, &gw);
        async move {
            // Reopened for a fresh cooldown, not stuck: a later probe closes it. (Distinct
            // prompts: a cached answer would not reach the breaker.)
            let n = std::sync::atomic::AtomicU32::new(0);
            let ok = eventually(Duration::from_secs(5), || async {
                let text = format!(
                    "after {what} {}",
                    n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                );
                post_json(url, &chat("gpt-4o-mini", &text)).await.status == 200
            })
            .await;
            assert!(ok, "{what}: the circuit never closed again (stuck half-open)");
            assert_eq!(readyz(gw).await, 200, "{what}");
        }
    };

    // 1. The probe runs into the request deadline.
    trip("deadline").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    mock_fault(&mock, json!({"kind": "stall", "ms": 3000})).await;
    let r = post_json(&url, &chat("gpt-4o-mini", "probe")).await;
    r.assert_error(504, "upstream_timeout");
    assert_eq!(readyz(&gw).await, 503, "a timed-out probe reopens the circuit");
    recovers("deadline").await;

    // 2. The probe's client goes away before the answer.
    trip("cancelled").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    mock_fault(&mock, json!({"kind": "stall", "ms": 3000})).await;
    let before = total(&mock).await;
    let gone = tokio::time::timeout(
        Duration::from_millis(200),
        post_json(&url, &chat("gpt-4o-mini", "probe")),
    )
    .await;
    assert!(gone.is_err(), "the probe should still be waiting");
    assert_eq!(total(&mock).await - before, 1, "the probe reached the upstream");
    assert!(
        eventually(Duration::from_secs(3), || async { readyz(&gw).await == 503 }).await,
        "a cancelled probe reopens the circuit and readiness follows"
    );
    recovers("cancelled").await;
}

/// A connect timeout is a timeout (504 `upstream_timeout`), recognised by its type. It used to
/// be recognised by the words "timed out" in the cause chain, which the connector's own timeout
/// ("deadline has elapsed") does not contain, so it was reported as an unreachable upstream.
#[tokio::test]
async fn a_connect_timeout_is_a_typed_timeout_not_an_unreachable_upstream() {
    // A listener with a full accept queue: the kernel drops further SYNs, so a connect hangs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let silent = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(200), tokio::net::TcpStream::connect(silent)).await {
            Ok(Ok(s)) => fillers.push(s),
            _ => break,
        }
        assert!(fillers.len() < 16, "the accept queue never filled");
    }
    let cfg = config_for(silent, "[resilience]\nmax_attempts = 1\n").replace(
        "request_timeout = \"3s\"",
        "request_timeout = \"3s\"\nconnect_timeout = \"200ms\"",
    );
    let gw = start_gateway(&cfg).await;
    let t = Instant::now();
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "hello")).await;
    let e = r.assert_error(504, "upstream_timeout");
    assert!(e["message"].as_str().unwrap().contains("timed out"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    drop((fillers, listener));
}

fn structured_chat(text: &str) -> Value {
    let mut b = chat("gpt-4o-mini", text);
    b["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "Answer", "strict": true,
        "schema": {"type": "object", "properties": {"answer": {"type": "string"}},
                   "required": ["answer"], "additionalProperties": false}}});
    b
}

/// The bug: a schema repair call went straight to the upstream with no request id and no
/// retries, so a 503 on the repair failed the request. Repair calls now go through the same
/// resilience path as the first call (here: retried after a 503) and carry the client's id.
#[tokio::test]
async fn schema_repair_calls_are_retried_and_carry_the_request_id() {
    let (mock, gw) = stack(MockOptions::default(), "[resilience]\nbackoff_base = \"1ms\"\n").await;
    mock_fault(&mock, json!({"kind": "invalid_output"})).await;
    mock_fault(&mock, json!({"kind": "status", "status": 503})).await;
    let before = total(&mock).await;
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[
            ALPHA,
            ("content-type", "application/json"),
            ("x-request-id", "trace-repair-1"),
        ],
        structured_chat("repair me").to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-schema"), Some("repaired"));
    assert_eq!(
        total(&mock).await - before,
        3,
        "first call, repair, retried repair"
    );
    let stats = mock_stats(&mock).await;
    let calls = stats["last_requests"].as_array().unwrap();
    for c in &calls[calls.len() - 3..] {
        assert_eq!(
            c["request_id"], "trace-repair-1",
            "every upstream call carries the id: {c}"
        );
    }
}

/// The bug: each repair call got a fresh `request_timeout`, so a request with repairs could
/// take a multiple of it. Repairs now run under the request's one deadline: a first answer
/// that takes 600 ms of a 1 s deadline leaves 400 ms for the repair, which needs 600 ms.
#[tokio::test]
async fn schema_repair_calls_end_by_the_request_deadline() {
    let mock = start_mock(MockOptions {
        ttft: Duration::from_millis(600),
        ..MockOptions::default()
    })
    .await;
    let cfg = config_for(mock.addr, "").replace("request_timeout = \"3s\"", "request_timeout = \"1s\"");
    let gw = start_gateway(&cfg).await;
    mock_fault(&mock, json!({"kind": "invalid_output"})).await;
    let t = Instant::now();
    let r = post_json(&gw.url("/v1/chat/completions"), &structured_chat("slow repair")).await;
    r.assert_error(504, "upstream_timeout");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "one deadline for the request: {:?}",
        t.elapsed()
    );
    assert_settled(&gw).await;
}

/// The bug: embeddings called their upstream directly, with no breaker, no retry and no
/// request deadline. They now go through the request's exchange as chat does: a 503 is
/// retried, every attempt carries the client's id, and the retry is counted.
#[tokio::test]
async fn embeddings_calls_are_retried_under_the_requests_exchange() {
    let (mock, gw) = stack(MockOptions::default(), "[resilience]\nbackoff_base = \"1ms\"\n").await;
    mock_fault(
        &mock,
        json!({"kind": "status", "status": 503, "model": "text-embedding-3-small"}),
    )
    .await;
    let before = total(&mock).await;
    let r = request(
        "POST",
        &gw.url("/v1/embeddings"),
        &[
            ALPHA,
            ("content-type", "application/json"),
            ("x-request-id", "trace-embed-1"),
        ],
        json!({"model": "text-embedding-3-small", "input": "retry me"}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(total(&mock).await - before, 2, "the 503, then the retry");
    let stats = mock_stats(&mock).await;
    let calls = stats["last_requests"].as_array().unwrap();
    for c in &calls[calls.len() - 2..] {
        assert_eq!(c["path"], "/v1/embeddings", "{c}");
        assert_eq!(c["request_id"], "trace-embed-1", "{c}");
    }
    let m = metrics(&gw).await;
    assert!(
        m.lines().any(|l| l.starts_with("gearbox_upstream_retries_total")
            && l.contains("reason=\"retry\"")
            && !l.ends_with(" 0")),
        "{m}"
    );
    assert_settled(&gw).await;
}

/// Model `bal` with two deployments on the same mock under two upstream names (`a` serving it
/// as `gpt-4o-mini`, `b` as `gpt-4o`), so `x-gearbox-model` says which one served.
fn balanced(mock: std::net::SocketAddr, extra: &str) -> String {
    config_for(mock, extra)
        + &format!(
            "\n[upstreams.a]\nbase_url = \"http://{mock}/v1\"\nstream_idle_timeout = \"5s\"\n\
             [upstreams.b]\nbase_url = \"http://{mock}/v1\"\nstream_idle_timeout = \"5s\"\n\
             [models.bal]\nkind = \"chat\"\n\
             deployments = [{{ upstream = \"a\", name = \"gpt-4o-mini\" }}, {{ upstream = \"b\", name = \"gpt-4o\" }}]\n"
        )
}

/// The bug: least-outstanding balancing counted a stream only until its headers arrived, so a
/// deployment busy with long streams looked idle and got half of the new requests. A stream
/// now counts until it ends: while one streams slowly, every new request goes to the other
/// deployment (before the fix each went either way at random: all 8 to the other one about
/// once in 256 runs).
#[tokio::test]
async fn a_long_stream_keeps_its_deployment_busy_until_it_ends() {
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&balanced(mock.addr, "")).await;
    let url = gw.url("/v1/chat/completions");
    mock_fault(&mock, json!({"kind": "drip", "ms_per_token": 150})).await;
    let stream = send(
        "POST",
        &url,
        &[ALPHA, ("content-type", "application/json")],
        streamed("bal", "a slow stream of many words").to_string(),
    )
    .await;
    assert_eq!(stream.status(), 200);
    let busy = stream.headers()["x-gearbox-model"].to_str().unwrap().to_string();
    let other = if busy == "gpt-4o" { "gpt-4o-mini" } else { "gpt-4o" };
    let mut body = stream.into_body();
    // The first event is here: the stream is under way.
    let first = body.frame().await.unwrap().unwrap();
    assert!(first.data_ref().is_some_and(|d| !d.is_empty()));
    for i in 0..8 {
        let r = post_json(&url, &chat("bal", &format!("meanwhile {i}"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.header("x-gearbox-model"),
            Some(other),
            "request {i} went to the deployment still streaming"
        );
    }
    assert_eq!(
        mock_stats(&mock).await["active_streams"],
        1,
        "the stream was still open throughout"
    );
    // Once the stream ends its deployment counts as idle again: with both idle, ties go
    // either way, so within 40 requests both serve.
    let rest = body.collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    let mut served = std::collections::HashSet::new();
    for i in 0..40 {
        let r = post_json(&url, &chat("bal", &format!("after {i}"))).await;
        served.insert(r.header("x-gearbox-model").unwrap().to_string());
    }
    assert_eq!(
        served.len(),
        2,
        "both deployments serve once the stream ended: {served:?}"
    );
    assert_settled(&gw).await;
}

/// The bug: a breaker opened only on consecutive failures, so a deployment failing 60 % of its
/// requests, never twice in a row more than twice, kept its traffic. The error ratio over the
/// window opens it (before the fix the request after the 11th was sent and answered 200).
#[tokio::test]
async fn a_deployment_failing_most_requests_non_consecutively_trips_its_breaker() {
    let (mock, gw) = stack(
        MockOptions::default(),
        "[resilience]\nmax_attempts = 1\ncircuit_failures = 5\ncircuit_error_ratio = 0.5\n\
         circuit_window = \"60s\"\ncircuit_min_requests = 10\ncircuit_cooldown = \"60s\"\n",
    )
    .await;
    let url = gw.url("/v1/chat/completions");
    // Fail, succeed, fail, fail, succeed: 60 %, at most two failures in a row.
    let pattern = [true, false, true, true, false];
    for i in 0..11 {
        let fail = pattern[i % pattern.len()];
        if fail {
            mock_fault(&mock, json!({"kind": "status", "status": 503})).await;
        }
        let r = post_json(&url, &chat("gpt-4o-mini", &format!("ratio {i}"))).await;
        assert_eq!(
            r.status,
            if fail { 503 } else { 200 },
            "request {i}: {}",
            r.text()
        );
    }
    // 7 of 11 attempts failed: open.
    let sent = total(&mock).await;
    let r = post_json(&url, &chat("gpt-4o-mini", "while open")).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.text().contains("circuit open"), "{}", r.text());
    assert_eq!(total(&mock).await, sent, "nothing sent to an open circuit");
    let m = metrics(&gw).await;
    assert!(
        m.contains("gearbox_circuit_state{model=\"gpt-4o-mini\",upstream=\"mock\"} 2"),
        "{m}"
    );
    assert_settled(&gw).await;
}
