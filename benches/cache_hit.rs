//! Cost of a cache hit inside the gateway: the full tower stack in-process (auth, parse, route,
//! key, lookup, response), serving a 4 KB cached answer, no sockets. Prints p50/p90/p99 over
//! 20,000 requests after a warm-up. Run: `cargo bench --bench cache_hit`.
//!
//! `GEARBOX_BENCH_TRACING` sets what is installed around it: unset, no subscriber (as in
//! tests); `log`, the binary's log subscriber with traces off (the pipeline's spans disabled);
//! a ratio (`1`, `0.01`), that subscriber plus trace export at that sample ratio to a sink on
//! its own thread (the mock, which answers 404: the exporter's thread does the same work).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use gearbox::cache::{cache_key, CachedResponse};
use gearbox::config::{self, ConfigSource};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CONFIG: &str = r#"
[auth]
mode = "keys"
[upstreams.mock]
base_url = "http://127.0.0.1:9/v1"
[models."gpt-4o-mini"]
upstream = "mock"
[models."o3-mini"]
upstream = "mock"
kind = "reasoning"
[[teams.bench.keys]]
sha256 = "SHA"
"#;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cfg_text = CONFIG.replace("SHA", &hex::encode(config::hash_key("bench-key")));
    let cfg = config::load_str(&cfg_text, ConfigSource::File("bench".into()), &HashMap::new()).unwrap();
    let state = gearbox::state::AppState::new(cfg).unwrap();
    let body = r#"{"model":"gpt-4o-mini","temperature":0,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Summarise the cache design in one paragraph."}]}"#;
    let req = gearbox::api::parse_chat_request(body.as_bytes()).unwrap();
    let content = "lorem ipsum dolor sit amet ".repeat(150);
    let answer = format!(
        r#"{{"id":"c","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{{"index":0,"message":{{"role":"assistant","content":"{content}","refusal":null}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":20,"completion_tokens":900,"total_tokens":920}}}}"#
    );
    assert!(answer.len() >= 4000, "{}", answer.len());
    let entry = Arc::new(CachedResponse::from_body(Bytes::from(answer)).unwrap());
    state
        .cache
        .put(cache_key("bench", "mock", &req), entry, Duration::from_secs(3600));
    let svc = gearbox::app::build(state);
    let tracing_mode = std::env::var("GEARBOX_BENCH_TRACING").unwrap_or_default();
    let _telemetry = install_tracing(&tracing_mode);

    let one = |svc: gearbox::app::AppService| async move {
        let r = http::Request::post("/v1/chat/completions")
            .header("authorization", "Bearer bench-key")
            .header("content-type", "application/json")
            .body(gearbox::http::full_body(body))
            .unwrap();
        let resp = svc.oneshot(r).await.unwrap();
        assert_eq!(resp.headers()["x-gearbox-cache"], "hit");
        resp.into_body().collect().await.unwrap().to_bytes().len()
    };
    // `cargo bench` passes --bench; under `cargo test --all-targets` only a smoke run happens.
    let (warm, n) = if std::env::args().any(|a| a == "--bench") {
        (2_000, 20_000)
    } else {
        (10, 100)
    };
    let mut samples = Vec::with_capacity(n);
    rt.block_on(async {
        for _ in 0..warm {
            one(svc.clone()).await;
        }
        for _ in 0..n {
            let t = Instant::now();
            let n = one(svc.clone()).await;
            samples.push(t.elapsed());
            assert!(n >= 4000);
        }
    });
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "cache hit, 4 KB answer, in-process full stack (tracing: {}): p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  (n={})",
        if tracing_mode.is_empty() { "none" } else { &tracing_mode },
        p(0.50),
        p(0.90),
        p(0.99),
        samples[samples.len() - 1],
        samples.len()
    );
}

/// The subscriber `GEARBOX_BENCH_TRACING` asks for (see the module comment), as `gearbox
/// serve` builds it: the fmt layer (to a sink) under an info filter that turns the pipeline's
/// spans off, and the OTel layer when exporting.
fn install_tracing(mode: &str) -> Option<gearbox::telemetry::Telemetry> {
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    if mode.is_empty() {
        return None;
    }
    let telemetry = mode.parse::<f64>().ok().map(|ratio| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                gearbox::run_mock(
                    listener,
                    gearbox::mock::MockOptions::default(),
                    std::future::pending(),
                )
                .await;
            });
        });
        let sink = rx.recv().unwrap();
        let cfg = gearbox::config::TracingConfig {
            traces_url: format!("http://{sink}/v1/traces"),
            service_name: "bench".into(),
            sample_ratio: ratio,
            parent_based: true,
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_interval: Duration::from_secs(1),
            export_timeout: Duration::from_secs(5),
        };
        gearbox::telemetry::Telemetry::start(&cfg).unwrap()
    });
    let filter = gearbox::telemetry::log_filter(tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::sink)
        .with_filter(filter);
    gearbox::telemetry::subscriber(Box::new(fmt), telemetry.as_ref()).init();
    telemetry
}
