//! What a Responses request costs over the same Chat Completions request on a chat upstream
//! (issue budget: at most 50 µs p50 added). Run with `cargo bench --bench responses`.
//!
//! - `responses/request/chat`: the chat body parsed and serialised for the upstream (the chat
//!   path's own work on a request).
//! - `responses/request/responses`: the same conversation as a Responses body: parsed, its
//!   input items normalised, translated to the chat form twice (leniently for routing and
//!   admission, strictly for the upstream, as `proxy::responses` does), the echo taken, and
//!   serialised for the upstream.
//! - `responses/answer/translate`: the upstream's chat completion parsed, turned into a
//!   `response` object and serialised (a chat request relays the completion instead).
//! - `responses/stream/chunk`: one chat chunk translated into Responses events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use gearbox::api::parse::parse_object;
use gearbox::api::parse_chat_request;
use gearbox::responses::{input_items, response_from_chat, to_chat, Echo, StreamTranslator, Strictness};
use serde_json::{json, Value};

const SYSTEM: &str = "You are a world-class financial analyst. Think step by step and show your work.";
const USER: &str = "Our subscription business had 12,400 customers on January 1. Monthly churn was 3.1% for \
    the first five months and 2.4% after we changed onboarding in June; we added 510 new customers each \
    month. Average revenue per customer was $42 per month until September, then $45 after the price \
    change, which raised churn by 0.3 points. Work out the customer count at the end of each month, the \
    total revenue for the year, and whether the price change paid for itself by December.";

fn chat_body() -> Vec<u8> {
    json!({"model": "gpt-4o-mini", "messages": [
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
        "temperature": 0.7, "max_tokens": 800, "user": "bench-1", "metadata": {"trace": "abc"}})
    .to_string()
    .into_bytes()
}

fn responses_body() -> Vec<u8> {
    json!({"model": "gpt-4o-mini", "instructions": SYSTEM, "input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": USER}]}],
        "temperature": 0.7, "max_output_tokens": 800, "user": "bench-1", "metadata": {"trace": "abc"}})
    .to_string()
    .into_bytes()
}

fn completion() -> Vec<u8> {
    let text = "The customer count at the end of December is 13,112. ".repeat(20);
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 240, "total_tokens": 360,
            "completion_tokens_details": {"reasoning_tokens": 0}}})
    .to_string()
    .into_bytes()
}

fn request(c: &mut Criterion) {
    let mut g = c.benchmark_group("responses/request");
    let chat = chat_body();
    g.bench_function("chat", |b| {
        b.iter(|| {
            let req = parse_chat_request(black_box(&chat)).unwrap();
            serde_json::to_vec(&req).unwrap()
        })
    });
    let resp = responses_body();
    g.bench_function("responses", |b| {
        b.iter(|| {
            let req = parse_object(black_box(&resp)).unwrap();
            let items = input_items(&req).unwrap();
            let lenient = to_chat(&req, &items, Strictness::Lenient).unwrap();
            black_box(&lenient);
            let echo = Echo::of(&req, "0123456789abcdef01234567", 1);
            let strict = to_chat(&req, &items, Strictness::Strict).unwrap();
            black_box(&echo);
            serde_json::to_vec(&strict).unwrap()
        })
    });
    g.finish();
}

fn answer(c: &mut Criterion) {
    let mut g = c.benchmark_group("responses/answer");
    let body = completion();
    let req = parse_object(&responses_body()).unwrap();
    let echo = Echo::of(&req, "0123456789abcdef01234567", 1);
    g.bench_function("translate", |b| {
        b.iter(|| {
            let v: Value = serde_json::from_slice(black_box(&body)).unwrap();
            response_from_chat(&v, &echo).to_string()
        })
    });
    g.finish();
}

fn stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("responses/stream");
    let req = parse_object(&responses_body()).unwrap();
    let echo = Echo::of(&req, "0123456789abcdef01234567", 1);
    let chunk = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
        "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": "hello "}, "finish_reason": null}]});
    let mut t = StreamTranslator::new(echo, "gpt-4o-mini");
    let _ = t.start();
    let _ = t.chunk(&chunk);
    g.bench_function("chunk", |b| b.iter(|| t.chunk(black_box(&chunk))));
    g.finish();
}

criterion_group!(benches, request, answer, stream);
criterion_main!(benches);
