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
    // ~2 KB that is all instruction (no paste): every character goes through n-grams and the
    // embedding; in Japanese, the Viterbi search runs over runs with no spaces.
    let ask_en = "Please compare these two approaches for our billing migration and tell me which risks matter most, why, and what you would do first. ".repeat(15);
    let ask_ja = "請求システムの移行について二つの案を比較し、どのリスクが最も重要か、その理由と最初に何をすべきかを教えてください。".repeat(12);
    for (name, text) in [("2KB_ask_en", ask_en), ("2KB_ask_ja", ask_ja)] {
        let req = serde_json::json!({"model": "auto", "messages": [
            {"role": "system", "content": "You are a careful assistant for the finance team. Answer in the user's language."},
            {"role": "user", "content": text}]});
        let req = parse_chat_request(req.to_string().as_bytes()).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| gearbox::classify::classify(black_box(&req), &model))
        });
    }
    g.bench_function("200KB", |b| {
        b.iter(|| gearbox::classify::classify(black_box(&big), &model))
    });
    // The 420 varied requests of data/router/eval_multilingual.jsonl in seven languages (short
    // chats to long pastes), one after another: what a mix of real traffic costs, word cache
    // included, rather than one text repeated. Reported per request.
    let mixed: Vec<_> = include_str!("../data/router/eval_multilingual.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| parse_chat_request(v.get("request")?.to_string().as_bytes()).ok())
        .collect();
    let mut next = 0usize;
    g.bench_function("mixed_multilingual", |b| {
        b.iter(|| {
            next = (next + 1) % mixed.len();
            gearbox::classify::classify(black_box(&mixed[next]), &model)
        })
    });
    g.finish();
}

fn cache_key(c: &mut Criterion) {
    let req = parse_chat_request(&body_of_size(2_048)).unwrap();
    c.bench_function("cache_key_2KB", |b| {
        b.iter(|| gearbox::cache::cache_key("team", "upstream", black_box(&req)))
    });
}

/// Recording one finished request: counters and histograms by (endpoint, team, model, route,
/// status), the overhead histogram and token counters, as the access path does.
fn metrics(c: &mut Criterion) {
    use gearbox::metrics::{EndpointLabel, Metrics, RequestLabels, TokenType};
    let m = Metrics::new().unwrap();
    let labels = RequestLabels {
        endpoint: EndpointLabel::ChatCompletions,
        team: "search",
        model: "gpt-4o-mini",
        route: "chat",
    };
    c.bench_function("metrics_record_request", |b| {
        b.iter(|| {
            m.record_request(black_box(&labels), 200, std::time::Duration::from_micros(420));
            m.record_overhead(
                EndpointLabel::ChatCompletions,
                std::time::Duration::from_micros(90),
            );
            m.record_tokens("search", "gpt-4o-mini", TokenType::Prompt, 120);
            m.record_tokens("search", "gpt-4o-mini", TokenType::Completion, 80);
        })
    });
}

/// The SSE relay per upstream chunk: 100 OpenAI-shaped chunks, each a frame of its own, relayed
/// (parsed for validity, usage looked for, coalesced) to the end.
fn sse_relay(c: &mut Criterion) {
    use bytes::Bytes;
    use http_body_util::BodyExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let chunk = br#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"hello "},"finish_reason":null}],"usage":null}

"#;
    let mut g = c.benchmark_group("sse_relay");
    g.throughput(Throughput::Elements(100));
    g.bench_function("100_chunks", |b| {
        b.iter(|| {
            let mut frames: std::collections::VecDeque<Bytes> =
                (0..100).map(|_| Bytes::from_static(chunk)).collect();
            frames.push_back(Bytes::from_static(b"data: [DONE]\n\n"));
            let body = Frames(frames);
            rt.block_on(async {
                let relay = gearbox::stream::SseRelay::new(
                    body,
                    std::time::Duration::from_secs(5),
                    1 << 20,
                    Vec::new(),
                );
                relay.collect().await.unwrap().to_bytes().len()
            })
        })
    });
    g.finish();
}

/// An upstream body whose frames are all ready (the relay's cost, not the network's).
struct Frames(std::collections::VecDeque<bytes::Bytes>);

impl http_body::Body for Frames {
    type Data = bytes::Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
    }
}

criterion_group!(benches, parse, sse, sse_relay, classify, cache_key, metrics);
criterion_main!(benches);
