//! Cold-cache cost of each stage of a request's way through the gateway: parse, classify,
//! goal-form rewrite, serialise. `scripts/bench`'s streaming probe sends one request every
//! ~140 ms, so each one finds the code and tables out of the CPU caches; a criterion bench,
//! which runs the same call back to back, never sees that.
//!
//! Before each cold round this either evicts the caches by writing a 64 MB buffer, or, with
//! `COLD_SLEEP_MS=N`, idles N ms (the CPU halts, as the gateway's does between the probe's
//! requests; on the bench's VM that is the colder of the two), then times each stage once. Prints
//! the median and p90 per stage, cold and hot (the same request again at once), in µs.
//!
//! `cargo run --release --example coldpath [BODY_FILE|-] [ROUNDS]` (default: the bench's
//! reasoning-bound probe body, 400 rounds).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Instant;

use gearbox::api::parse_chat_request;
use gearbox::classify::{classify_with_reasons, RouterModel};
use gearbox::rewrite::{adapt, builtin_profile, ParamPolicy, Unsupported};

const PROBE_BODY: &str = r#"{"model":"auto","messages":[{"role":"system","content":"You are a world-class financial analyst. Think step by step and show your work."},{"role":"user","content":"Our subscription business had 22,400 customers on January 1. Monthly churn was 3.3% for the first five months and 2.4% after we changed onboarding in June; we added 810 new customers each month. Average revenue per customer was $42 per month until September, then $48 after the price change, which raised churn by 0.3 points. Let's think step by step: work out the customer count at the end of each month, the total revenue for the year, and whether the price change paid for itself by December. State the break-even month if there is one and list your assumptions."}],"temperature":0.7,"max_tokens":800,"user":"bench-0","stream":true}"#;

const STAGES: [&str; 5] = ["parse", "classify", "rewrite", "serialise", "total"];

fn evict(buf: &mut [u8]) -> u64 {
    let mut sum = 0u64;
    for i in (0..buf.len()).step_by(64) {
        buf[i] = buf[i].wrapping_add(1);
        sum = sum.wrapping_add(u64::from(buf[i]));
    }
    sum
}

fn round(body: &[u8], model: &RouterModel, policy: &ParamPolicy) -> [f64; 5] {
    let profile = builtin_profile("o3-mini");
    let t0 = Instant::now();
    let mut req = parse_chat_request(black_box(body)).unwrap();
    let t1 = Instant::now();
    let c = classify_with_reasons(&req, model, 0.5, 1);
    black_box(&c);
    let t2 = Instant::now();
    let a = adapt(&mut req, &profile, policy).unwrap();
    black_box(&a);
    let t3 = Instant::now();
    let out = serde_json::to_vec(&req).unwrap();
    black_box(&out);
    let t4 = Instant::now();
    let us = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e6;
    [us(t0, t1), us(t1, t2), us(t2, t3), us(t3, t4), us(t0, t4)]
}

fn summary(name: &str, rows: &[[f64; 5]]) {
    print!("{name:5}");
    for (i, stage) in STAGES.iter().enumerate() {
        let mut v: Vec<f64> = rows.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        print!("  {stage} p50 {:6.1} p90 {:6.1}", p(0.5), p(0.9));
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let body = match args.get(1) {
        Some(path) if path != "-" => std::fs::read(path).expect("body file"),
        _ => PROBE_BODY.as_bytes().to_vec(),
    };
    let rounds: usize = args.get(2).map_or(400, |s| s.parse().expect("rounds"));
    let model = RouterModel::from_bytes(gearbox::config::EMBEDDED_ROUTER_MODEL).unwrap();
    let policy = ParamPolicy {
        on_unsupported: Unsupported::Drop,
        min_completion_tokens: 1024,
        default_reasoning_effort: Some("medium".into()),
    };
    gearbox::rewrite::warm_up();
    let mut buf = vec![0u8; 64 << 20];
    for _ in 0..50 {
        round(&body, &model, &policy);
    }
    let mut cold = Vec::with_capacity(rounds);
    let mut hot = Vec::with_capacity(rounds);
    let sleep_ms: u64 = std::env::var("COLD_SLEEP_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for _ in 0..rounds {
        if sleep_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(sleep_ms));
        } else {
            black_box(evict(&mut buf));
        }
        cold.push(round(&body, &model, &policy));
        hot.push(round(&body, &model, &policy));
    }
    summary("cold", &cold);
    summary("hot", &hot);
}
