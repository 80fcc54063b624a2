//! Rewrite cost: a realistic ~2 KB request (system prompt, a few directives in three languages,
//! format and constraint sentences, a code fence, log lines, a quote), the same with nothing to
//! remove, a directive-dense worst case, and 4x/8x sizes to show linear scaling. Also prints
//! p50/p99 over 20k single calls.
//!
//! Run: `cargo bench --bench rewrite` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use gearbox::api::{ChatRequest, Message, Role};
use gearbox::rewrite::{builtin_profile, rewrite, translate, warm_up, ParamPolicy};

/// A realistic ~2 KB request: persona + real system instructions, a task with format and
/// constraint sentences, pasted log lines, a code fence, a quoted customer message, and a few
/// directives (English, Korean, Spanish).
const REALISTIC: &str = "Summarize the incident report below for the on-call channel, and think step by step. \
Answer in 5 bullet points, each under 20 words. Do not include customer names or account numbers. \
Never speculate about root cause; say \"unknown\" when the report does not state it. \
Mention the rollback status and the current error rate. Keep the whole answer under 120 words.\n\n\
Report:\n\
2024-03-01 10:02 UTC api-gw p99 latency rose from 120ms to 2400ms in eu-west-1 after deploy 8812.\n\
2024-03-01 10:05 UTC error rate 4.2% on /v1/orders; client retries amplified load on the primary db.\n\
2024-03-01 10:07 UTC pager fired for orders-svc; on-call acknowledged within 2 minutes.\n\
2024-03-01 10:11 UTC rollback of build 8812 started; queue depth peaked at 18000 messages.\n\
2024-03-01 10:19 UTC rollback finished; p99 back to 140ms, error rate 0.3% and falling.\n\
2024-03-01 10:25 UTC customer support reported 37 tickets mentioning failed checkouts.\n\n\
The retry policy that was live during the incident:\n\n\
```rust\nfn backoff(attempt: u32) -> Duration {\n    // think step by step: exponential, capped\n    Duration::from_millis((50 * 2u64.pow(attempt)).min(5_000))\n}\n```\n\n\
One customer wrote: \"Checkout failed three times, let's think step by step about refunds, I was charged twice.\"\n\n\
단계별로 생각해 보세요. Piensa paso a paso.\n\n\
Also note which dashboards the on-call engineer should watch over the next hour, and whether the \
retry policy above should change before the next deploy. If the report is ambiguous, list the open \
questions at the end instead of guessing. For context, the orders service handles about 1200 \
requests per second at peak, runs 14 replicas behind the gateway, and depends on the payments \
service and the inventory cache; the last similar incident was on 2024-01-17 and was caused by a \
connection-pool limit. The audience is the engineering managers' channel, so avoid internal \
jargon such as shard names.\n";

/// A directive-dense ~1 KB block (worst case: most sentences hold a directive).
const DENSE: &str = "You are a helpful assistant. Take a deep breath.\n\
Summarize the incident report below for the on-call channel, and think step by step. \
Answer in 5 bullet points. Do not include customer names. Never speculate about root cause. \
Keep it under 120 words.\n\n\
Report:\n\
2024-03-01 10:02 api-gw p99 latency rose from 120ms to 2400ms in eu-west-1.\n\
2024-03-01 10:05 error rate 4.2% on /v1/orders; retries amplified load.\n\
2024-03-01 10:11 rollback of build 8812 started; queue depth 18000.\n\n\
```\nfn retry(n: u32) -> Duration { Duration::from_millis(50 * 2u64.pow(n)) } // think step by step\n```\n\n\
단계별로 생각해 보세요. 표 형식으로 답하세요. 請注意: 请一步一步地思考。\n\
Piensa paso a paso. Réfléchis étape par étape. Denke Schritt für Schritt nach.\n\
The customer wrote: \"please fix this, let's think step by step about refunds\".\n";

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Realistic,
    Dense,
    Clean,
}

pub fn request(blocks: usize, kind: Kind) -> ChatRequest {
    let mut user = String::new();
    for i in 0..blocks {
        match kind {
            Kind::Realistic => user.push_str(REALISTIC),
            Kind::Dense => user.push_str(DENSE),
            Kind::Clean => user.push_str(
                &REALISTIC
                    .replace(", and think step by step", "")
                    .replace("단계별로 생각해 보세요. Piensa paso a paso.", "Thanks."),
            ),
        }
        user.push_str(&format!("\nSection {i} ends here.\n\n"));
    }
    let system = if kind == Kind::Clean {
        "You support the Acme operations team. Only answer about operations; refuse anything else."
    } else {
        "You are a world-class expert. You support the Acme operations team. Only answer about \
         operations; refuse anything else."
    };
    ChatRequest {
        model: "o3".into(),
        messages: vec![Message::new(Role::System, system), Message::new(Role::User, user)],
        max_tokens: Some(300),
        temperature: Some(0.2),
        ..Default::default()
    }
}

fn size(r: &ChatRequest) -> usize {
    r.messages.iter().map(|m| m.text().len()).sum()
}

fn p99_report() {
    warm_up();
    let profile = builtin_profile("o3");
    let cases = [
        ("realistic", request(1, Kind::Realistic)),
        ("clean (no directive)", request(1, Kind::Clean)),
        ("dense", request(1, Kind::Dense)),
    ];
    for (name, base) in cases {
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let mut r = base.clone();
            let t = Instant::now();
            let out = rewrite(&mut r, &profile);
            samples.push(t.elapsed());
            black_box(out);
        }
        samples.sort_unstable();
        let at = |q: f64| {
            samples
                .get(((samples.len() as f64) * q) as usize)
                .copied()
                .unwrap_or(Duration::ZERO)
        };
        println!(
            "p99 report {name} ({} bytes): p50 {:?}  p99 {:?}  max {:?}",
            size(&base),
            at(0.50),
            at(0.99),
            samples.last().copied().unwrap_or(Duration::ZERO)
        );
    }
}

fn benches(c: &mut Criterion) {
    warm_up();
    let profile = builtin_profile("o3");
    let policy = ParamPolicy::default();
    let mut g = c.benchmark_group("rewrite");
    for blocks in [1usize, 4, 8] {
        let kinds = [
            (Kind::Realistic, "realistic"),
            (Kind::Clean, "clean"),
            (Kind::Dense, "dense"),
        ];
        for (kind, label) in kinds {
            if blocks > 1 && kind == Kind::Dense {
                continue;
            }
            let base = request(blocks, kind);
            g.throughput(Throughput::Bytes(size(&base) as u64));
            let id = format!("{}B_{label}", size(&base));
            g.bench_with_input(BenchmarkId::from_parameter(id), &base, |b, base| {
                b.iter_batched_ref(
                    || base.clone(),
                    |r| black_box(rewrite(r, &profile)),
                    criterion::BatchSize::SmallInput,
                )
            });
        }
    }
    g.finish();
    let base = request(1, Kind::Realistic);
    c.bench_function("translate_2KB", |b| {
        b.iter_batched_ref(
            || base.clone(),
            |r| black_box(translate(r, &profile, &policy)),
            criterion::BatchSize::SmallInput,
        )
    });
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` only a smoke run happens.
    if std::env::args().any(|a| a == "--bench") {
        p99_report();
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
