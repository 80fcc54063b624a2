//! Micro-benchmarks of the per-request hot path: parsing a Chat Completions body, re-serialising
//! it, and scanning SSE events. Run with `cargo bench --bench hot_path`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use gearbox::api::parse_chat_request;
use gearbox::stream::find_event_end;

fn body_of_size(bytes: usize) -> Vec<u8> {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(bytes / 45 + 1);
    serde_json::json!({
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": &text[..bytes.min(text.len())]}
        ],
        "temperature": 0.2,
        "stream": true,
        "metadata": {"trace": "abc"}
    })
    .to_string()
    .into_bytes()
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_chat_request");
    for size in [2_048usize, 200_000] {
        let body = body_of_size(size);
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("{size}B"), |b| {
            b.iter(|| parse_chat_request(black_box(&body)).unwrap())
        });
        let req = parse_chat_request(&body).unwrap();
        g.bench_function(format!("serialize_{size}B"), |b| {
            b.iter(|| serde_json::to_vec(black_box(&req)).unwrap())
        });
    }
    g.finish();
}

fn sse(c: &mut Criterion) {
    let chunk = br#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"hello "},"finish_reason":null}]}

"#;
    c.bench_function("sse_find_event_end_chunk", |b| {
        b.iter(|| find_event_end(black_box(chunk)))
    });
}

fn classify(c: &mut Criterion) {
    let model = gearbox::classify::RouterModel::from_bytes(gearbox::config::EMBEDDED_ROUTER_MODEL).unwrap();
    let mut g = c.benchmark_group("classify");
    // ~2 KB: an instruction with some pasted material; ~200 KB: a long document and a short ask.
    let two_kb = parse_chat_request(&body_of_size(2_048)).unwrap();
    let doc = "Quarterly revenue grew 4% while costs rose 9%; the board approved the plan. ".repeat(2_700);
    let big = serde_json::json!({"model": "auto", "messages": [{"role": "user", "content": format!("{doc}\n\nFind the contradictions in these notes.")}]});
    let big = parse_chat_request(big.to_string().as_bytes()).unwrap();
    g.bench_function("2KB", |b| {
        b.iter(|| gearbox::classify::classify(black_box(&two_kb), &model))
    });
    g.bench_function("200KB", |b| {
        b.iter(|| gearbox::classify::classify(black_box(&big), &model))
    });
    g.finish();
}

fn cache_key(c: &mut Criterion) {
    let req = parse_chat_request(&body_of_size(2_048)).unwrap();
    c.bench_function("cache_key_2KB", |b| {
        b.iter(|| gearbox::cache::cache_key("team", "upstream", black_box(&req)))
    });
}

criterion_group!(benches, parse, sse, classify, cache_key);
criterion_main!(benches);
