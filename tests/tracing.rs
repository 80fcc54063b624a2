//! OpenTelemetry traces end to end, against a real OTLP/HTTP receiver: a hyper server on
//! loopback that accepts `POST /v1/traces` and decodes the protobuf export requests with the
//! official generated types (`opentelemetry-proto`). The in-process tests share one trace
//! pipeline (a process has one global subscriber) and tell their traces apart by the trace id
//! of the `traceparent` each sends (or, without one, by the trace id the gateway answers with).
//! Two tests run the `gearbox` binary: with `[tracing]` off and on, and with a collector that
//! cannot be reached.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::*;
use gearbox::config::TracingConfig;
use gearbox::mock::MockOptions;
use gearbox::telemetry::Telemetry;
use http_body_util::{BodyExt, Full};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Av;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One exported span and the `service.name` of its resource.
#[derive(Clone)]
struct Got {
    service: String,
    span: Span,
}

/// An OTLP/HTTP trace receiver on its own thread and runtime (it outlives any one test).
struct Receiver {
    addr: SocketAddr,
    spans: Arc<Mutex<Vec<Got>>>,
    posts: Arc<Mutex<u64>>,
}

impl Receiver {
    fn start() -> Receiver {
        let spans: Arc<Mutex<Vec<Got>>> = Arc::default();
        let posts: Arc<Mutex<u64>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let (s, p) = (spans.clone(), posts.clone());
        std::thread::spawn(move || {
            runtime().block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let (io, _) = listener.accept().await.unwrap();
                    let (s, p) = (s.clone(), p.clone());
                    tokio::spawn(async move {
                        let svc =
                            hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                                let (s, p) = (s.clone(), p.clone());
                                async move {
                                    let ok = req.method() == http::Method::POST
                                        && req.uri().path() == "/v1/traces"
                                        && req
                                            .headers()
                                            .get("content-type")
                                            .is_some_and(|v| v == "application/x-protobuf");
                                    let body = req.into_body().collect().await.unwrap().to_bytes();
                                    let status = match ExportTraceServiceRequest::decode(body) {
                                        Ok(export) if ok => {
                                            *p.lock().unwrap() += 1;
                                            let mut all = s.lock().unwrap();
                                            for rs in export.resource_spans {
                                                let service = rs
                                                    .resource
                                                    .iter()
                                                    .flat_map(|r| &r.attributes)
                                                    .find(|kv| kv.key == "service.name")
                                                    .and_then(|kv| kv.value.as_ref())
                                                    .map(|v| value(v).as_str().unwrap_or("").to_string())
                                                    .unwrap_or_default();
                                                for ss in rs.scope_spans {
                                                    for span in ss.spans {
                                                        all.push(Got {
                                                            service: service.clone(),
                                                            span,
                                                        });
                                                    }
                                                }
                                            }
                                            200
                                        }
                                        _ => 400,
                                    };
                                    let mut resp = http::Response::new(Full::new(Bytes::new()));
                                    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                                    resp.headers_mut().insert(
                                        "content-type",
                                        http::HeaderValue::from_static("application/x-protobuf"),
                                    );
                                    Ok::<_, std::convert::Infallible>(resp)
                                }
                            });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(io), svc)
                            .await;
                    });
                }
            });
        });
        Receiver {
            addr: rx.recv().unwrap(),
            spans,
            posts,
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn all(&self) -> Vec<Got> {
        self.spans.lock().unwrap().clone()
    }
}

/// A one-thread runtime, for the receiver's thread and the tests that run the binary.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// An attribute value as JSON (strings, integers, doubles, booleans).
fn value(v: &opentelemetry_proto::tonic::common::v1::AnyValue) -> Value {
    match &v.value {
        Some(Av::StringValue(s)) => json!(s),
        Some(Av::IntValue(i)) => json!(i),
        Some(Av::DoubleValue(d)) => json!(d),
        Some(Av::BoolValue(b)) => json!(b),
        _ => Value::Null,
    }
}

fn attr(span: &Span, key: &str) -> Value {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .map_or(Value::Null, value)
}

/// The in-process pipeline every test of this binary shares: one receiver, one exporter, one
/// global subscriber with the OTel layer (as `gearbox serve` installs it).
fn pipeline() -> &'static (Receiver, Telemetry) {
    static P: OnceLock<(Receiver, Telemetry)> = OnceLock::new();
    P.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        let receiver = Receiver::start();
        let cfg = TracingConfig {
            traces_url: format!("{}/v1/traces", receiver.base_url()),
            service_name: "gearbox-test".into(),
            sample_ratio: 1.0,
            parent_based: true,
            max_queue_size: 4096,
            max_export_batch_size: 512,
            export_interval: Duration::from_millis(100),
            export_timeout: Duration::from_secs(5),
        };
        let telemetry = Telemetry::start(&cfg).unwrap();
        tracing_subscriber::registry().with(telemetry.layer()).init();
        (receiver, telemetry)
    })
}

/// A fresh sampled `traceparent` (the client's span is the parent of the server span): its
/// trace id and its span id in hex.
fn client_context() -> (String, String, String) {
    let tid = format!("{:016x}{:016x}", fastrand::u64(1..), fastrand::u64(..));
    let sid = format!("{:016x}", fastrand::u64(1..));
    (format!("00-{tid}-{sid}-01"), tid, sid)
}

/// The spans of trace `tid`, once `done` holds for them (flushing the exporter meanwhile).
async fn trace(tid: &str, done: impl Fn(&[Span]) -> bool) -> Vec<Span> {
    let (receiver, _) = pipeline();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        tokio::task::spawn_blocking(|| pipeline().1.flush())
            .await
            .unwrap();
        let spans: Vec<Span> = receiver
            .all()
            .into_iter()
            .filter(|g| hex::encode(&g.span.trace_id) == tid)
            .map(|g| g.span)
            .collect();
        if done(&spans) {
            return spans;
        }
        assert!(
            Instant::now() < deadline,
            "trace {tid} incomplete: {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found = named(spans, name);
    assert_eq!(
        found.len(),
        1,
        "one {name} span expected: {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

fn has_server(spans: &[Span]) -> bool {
    spans.iter().any(|s| s.kind == SpanKind::Server as i32)
}

fn server(spans: &[Span]) -> &Span {
    let s: Vec<&Span> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Server as i32)
        .collect();
    assert_eq!(s.len(), 1, "one server span per request");
    s[0]
}

/// `child` hangs directly under `parent`.
fn assert_child(child: &Span, parent: &Span) {
    assert_eq!(
        child.parent_span_id, parent.span_id,
        "{} should be a child of {}",
        child.name, parent.name
    );
    assert_eq!(child.trace_id, parent.trace_id);
}

/// The `traceparent` each request the mock received carried, oldest first.
async fn sent_traceparents(mock: &Running) -> Vec<Value> {
    mock_stats(mock).await["last_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["traceparent"].clone())
        .collect()
}

/// The `traceparent` of the last request the mock received, asserted to be of trace `tid` and
/// unsampled (flags `00`).
async fn last_unsampled_traceparent(mock: &Running, tid: &str) -> String {
    let sent = sent_traceparents(mock).await;
    let tp = sent
        .last()
        .and_then(Value::as_str)
        .expect("traceparent sent upstream")
        .to_string();
    assert!(
        tp.starts_with(&format!("00-{tid}-")) && tp.ends_with("-00"),
        "{tp}"
    );
    tp
}

/// The sampled `traceparent` naming `span` of trace `tid`.
fn traceparent_of(tid: &str, span: &Span) -> Value {
    json!(format!("00-{tid}-{}-01", hex::encode(&span.span_id)))
}

async fn traced_post(url: &str, body: &Value, traceparent: &str) -> Resp {
    request(
        "POST",
        url,
        &[
            ALPHA,
            ("content-type", "application/json"),
            ("traceparent", traceparent),
            ("x-gearbox-trace", "1"),
        ],
        body.to_string(),
    )
    .await
}

const ROUTED: &str = r#"
[policy]
routed_models = ["auto"]
[policy.reasoning]
effort = "medium"
"#;

fn cot_request() -> Value {
    json!({
        "model": "auto",
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": "You are a world-class expert. Think step by step."},
            {"role": "user", "content": "A bag has 5 red and 7 blue marbles. Three are drawn without replacement. What is the probability that exactly two are red? Let's think step by step. Give the exact fraction. Do not round."}
        ]
    })
}

#[tokio::test]
async fn a_routed_rewritten_request_is_one_trace_with_a_span_per_stage() {
    pipeline();
    let (mock, gw) = stack(MockOptions::default(), ROUTED).await;
    let (tp, tid, client_span) = client_context();
    let r = traced_post(&gw.url("/v1/chat/completions"), &cot_request(), &tp).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-rewritten"), Some("true"));
    // Asked for with x-gearbox-trace: the server span's context, in the client's trace.
    let back = r.header("traceparent").expect("traceparent in the response");
    assert!(
        back.starts_with(&format!("00-{tid}-")) && back.ends_with("-01"),
        "{back}"
    );

    let spans = trace(&tid, |s| has_server(s) && !named(s, "chat o3-mini").is_empty()).await;
    let srv = server(&spans);
    // The client's span is the server span's parent; the server span's id is the one returned.
    assert_eq!(hex::encode(&srv.parent_span_id), client_span);
    assert_eq!(back, format!("00-{tid}-{}-01", hex::encode(&srv.span_id)));
    assert_eq!(srv.name, "POST /v1/chat/completions");
    assert_eq!(attr(srv, "http.request.method"), "POST");
    assert_eq!(attr(srv, "url.path"), "/v1/chat/completions");
    assert_eq!(attr(srv, "http.route"), "/v1/chat/completions");
    assert_eq!(attr(srv, "http.response.status_code"), 200);
    assert_eq!(attr(srv, "gen_ai.operation.name"), "chat");
    assert_eq!(attr(srv, "gen_ai.request.model"), "auto");
    assert_eq!(attr(srv, "gen_ai.response.model"), "o3-mini");
    assert_eq!(attr(srv, "gen_ai.request.reasoning_effort"), "medium");
    assert!(attr(srv, "gen_ai.usage.input_tokens").as_i64().unwrap() > 0);
    assert!(attr(srv, "gen_ai.usage.output_tokens").as_i64().unwrap() > 0);
    assert_eq!(attr(srv, "gearbox.team"), "alpha");
    assert_eq!(attr(srv, "gearbox.route"), "reasoning");
    assert_eq!(attr(srv, "gearbox.rewritten"), true);

    // Every stage is a child of the server span.
    for stage in [
        "gearbox.auth",
        "gearbox.classify",
        "gearbox.admission",
        "gearbox.rewrite",
        "gearbox.cache",
        "chat o3-mini",
    ] {
        assert_child(one(&spans, stage), srv);
    }
    let classify = one(&spans, "gearbox.classify");
    assert_eq!(attr(classify, "gearbox.route"), "reasoning");
    assert_eq!(attr(classify, "gearbox.route.source"), "classifier");
    assert_eq!(attr(classify, "gearbox.route.target"), "o3-mini");
    let score = attr(classify, "gearbox.route.score").as_f64().unwrap();
    let threshold = attr(classify, "gearbox.route.threshold").as_f64().unwrap();
    assert!(score >= threshold, "{score} < {threshold}");
    assert!(!attr(classify, "gearbox.route.reasons")
        .as_str()
        .unwrap()
        .is_empty());
    let rewrite = one(&spans, "gearbox.rewrite");
    assert_eq!(attr(rewrite, "gearbox.rewrite.rewritten"), true);
    assert!(
        attr(rewrite, "gearbox.rewrite.directives_removed")
            .as_i64()
            .unwrap()
            >= 1
    );
    assert_eq!(
        attr(one(&spans, "gearbox.cache"), "gearbox.cache.result"),
        "bypass"
    );
    assert_eq!(
        attr(one(&spans, "gearbox.admission"), "gearbox.admission.target"),
        "o3-mini"
    );

    let attempt = one(&spans, "chat o3-mini");
    assert_eq!(attempt.kind, SpanKind::Client as i32);
    assert_eq!(attr(attempt, "gen_ai.request.model"), "o3-mini");
    assert_eq!(attr(attempt, "gearbox.deployment"), "mock");
    assert_eq!(attr(attempt, "gearbox.retry"), 0);
    assert_eq!(attr(attempt, "gearbox.circuit.state"), "closed");
    assert_eq!(attr(attempt, "http.response.status_code"), 200);
    assert!(attr(attempt, "gearbox.ttfb_ms").as_f64().unwrap() >= 0.0);
    // The upstream got the attempt's context: its own spans would join this trace under it.
    assert_eq!(
        sent_traceparents(&mock).await.last(),
        Some(&traceparent_of(&tid, attempt))
    );
    // No prompt text anywhere in the trace.
    for s in &spans {
        for kv in &s.attributes {
            let v = kv.value.as_ref().map(value).unwrap_or(Value::Null).to_string();
            assert!(
                !v.contains("marbles") && !v.contains("step by step"),
                "{} {}={v}",
                s.name,
                kv.key
            );
        }
    }
    assert!(pipeline().0.all().iter().all(|g| g.service == "gearbox-test"));
}

#[tokio::test]
async fn a_cache_hit_has_a_cache_span_and_no_upstream_attempt() {
    pipeline();
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let mut body = chat("gpt-4o-mini", "cache me for the trace");
    body["temperature"] = json!(0);
    let (tp1, tid1, _) = client_context();
    assert_eq!(
        traced_post(&url, &body, &tp1).await.header("x-gearbox-cache"),
        Some("miss")
    );
    let (tp2, tid2, _) = client_context();
    let hit = traced_post(&url, &body, &tp2).await;
    assert_eq!(hit.header("x-gearbox-cache"), Some("hit"));

    let first = trace(&tid1, |s| {
        has_server(s) && !named(s, "chat gpt-4o-mini").is_empty()
    })
    .await;
    assert_eq!(attr(one(&first, "gearbox.cache"), "gearbox.cache.result"), "miss");
    let spans = trace(&tid2, has_server).await;
    let srv = server(&spans);
    let cache = one(&spans, "gearbox.cache");
    assert_child(cache, srv);
    assert_eq!(attr(cache, "gearbox.cache.result"), "hit");
    assert_eq!(attr(cache, "gearbox.cache.tier"), "local");
    assert_eq!(attr(srv, "gearbox.cache"), "hit");
    assert!(
        named(&spans, "chat gpt-4o-mini").is_empty(),
        "a hit calls no upstream"
    );
}

#[tokio::test]
async fn a_retried_request_has_one_span_per_attempt() {
    pipeline();
    let (mock, gw) = stack(MockOptions::default(), "").await;
    mock_fault(&mock, json!({"kind": "status", "status": 503, "count": 1})).await;
    let (tp, tid, _) = client_context();
    let r = traced_post(
        &gw.url("/v1/chat/completions"),
        &chat("gpt-4o-mini", "hello"),
        &tp,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let spans = trace(&tid, |s| has_server(s) && named(s, "chat gpt-4o-mini").len() == 2).await;
    let srv = server(&spans);
    let mut attempts = named(&spans, "chat gpt-4o-mini");
    attempts.sort_by_key(|s| s.start_time_unix_nano);
    for a in &attempts {
        assert_child(a, srv);
        assert_eq!(attr(a, "gearbox.deployment"), "mock");
        assert_eq!(attr(a, "gearbox.circuit.state"), "closed");
    }
    assert_eq!(attr(attempts[0], "gearbox.retry"), 0);
    assert_eq!(attr(attempts[0], "http.response.status_code"), 503);
    assert_eq!(attr(attempts[0], "error.type"), "503");
    assert_eq!(attr(attempts[1], "gearbox.retry"), 1);
    assert_eq!(attr(attempts[1], "http.response.status_code"), 200);
    assert_eq!(attr(attempts[1], "error.type"), Value::Null);
    // Each attempt sent its own context upstream.
    let sent = sent_traceparents(&mock).await;
    for a in &attempts {
        let tp = traceparent_of(&tid, a);
        assert!(sent.contains(&tp), "{tp} not among {sent:?}");
    }
}

/// The issue's "done when": a routed streaming request is one trace with every stage.
#[tokio::test]
async fn a_routed_streaming_request_is_one_trace_with_every_stage_and_the_stream() {
    pipeline();
    let (_mock, gw) = stack(MockOptions::default(), ROUTED).await;
    let mut body = cot_request();
    body["stream"] = json!(true);
    let (tp, tid, _) = client_context();
    let r = traced_post(&gw.url("/v1/chat/completions"), &body, &tp).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert!(r.text().contains("[DONE]"));

    let spans = trace(&tid, |s| has_server(s) && !named(s, "gearbox.stream").is_empty()).await;
    let srv = server(&spans);
    for stage in [
        "gearbox.auth",
        "gearbox.classify",
        "gearbox.admission",
        "gearbox.rewrite",
        "gearbox.cache",
        "chat o3-mini",
        "gearbox.stream",
    ] {
        assert_child(one(&spans, stage), srv);
    }
    assert_eq!(
        spans.len(),
        8,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    let stream = one(&spans, "gearbox.stream");
    // The events this client received (its `[DONE]` included), not the usage-only chunk the
    // gateway asked for on its own and kept from it.
    let received = sse_data(&r.text()).len() as i64;
    assert!(received >= 2);
    assert_eq!(attr(stream, "gearbox.stream.events"), received);
    assert!(
        attr(stream, "gearbox.stream.time_to_first_event_ms")
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(attr(stream, "gearbox.stream.outcome"), "completed");
    // The gateway asked for the usage chunk (hidden from this client): the spans have it.
    assert!(attr(stream, "gen_ai.usage.output_tokens").as_i64().unwrap() > 0);
    assert!(attr(stream, "gen_ai.usage.reasoning_tokens").as_i64().unwrap() > 0);
    assert!(attr(srv, "gen_ai.usage.input_tokens").as_i64().unwrap() > 0);
    assert!(attr(srv, "gen_ai.usage.reasoning_tokens").as_i64().unwrap() > 0);
    assert_eq!(attr(srv, "gen_ai.response.model"), "o3-mini");
    // The stream span lasts from the upstream's headers to the relay's end.
    let attempt = one(&spans, "chat o3-mini");
    assert!(stream.start_time_unix_nano >= attempt.end_time_unix_nano);
    assert!(stream.end_time_unix_nano > stream.start_time_unix_nano);
}

#[tokio::test]
async fn a_repaired_structured_answer_has_schema_and_repair_spans() {
    pipeline();
    let (mock, gw) = stack(MockOptions::default(), "").await;
    mock_fault(&mock, json!({"kind": "invalid_output", "count": 1})).await;
    let mut body = chat("gpt-4o-mini", "report on the patient");
    body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "R", "strict": true, "schema": {
        "type": "object", "properties": {"diagnosis": {"type": "string"}},
        "required": ["diagnosis"], "additionalProperties": false}}});
    let (tp, tid, _) = client_context();
    let r = traced_post(&gw.url("/v1/chat/completions"), &body, &tp).await;
    assert_eq!(r.header("x-gearbox-schema"), Some("repaired"), "{}", r.text());

    let spans = trace(&tid, |s| has_server(s) && named(s, "chat gpt-4o-mini").len() == 2).await;
    let srv = server(&spans);
    let schema = one(&spans, "gearbox.schema");
    assert_child(schema, srv);
    assert_eq!(attr(schema, "gearbox.schema.result"), "repaired");
    assert_eq!(attr(schema, "gearbox.schema.repairs"), 1);
    let repair = one(&spans, "gearbox.schema.repair");
    assert_child(repair, schema);
    assert_eq!(attr(repair, "gearbox.schema.repair"), 1);
    // The repair call is an upstream attempt under the repair span; the first call is not.
    let attempts = named(&spans, "chat gpt-4o-mini");
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.parent_span_id == repair.span_id)
            .count(),
        1
    );
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.parent_span_id == srv.span_id)
            .count(),
        1
    );
}

/// The binary: with `[tracing]` off not one span reaches a listening collector; on, the same
/// request is exported (flushed at SIGTERM), under the configured service name, and its
/// trace id is in the access line.
#[test]
fn the_binary_exports_traces_only_when_tracing_is_on() {
    use std::io::BufRead;
    use std::process::Stdio;
    let rt = runtime();
    let mock = rt.block_on(start_mock(MockOptions::default()));
    let receiver = Receiver::start();
    let serve = |enabled: bool| {
        let extra = format!(
            "[log]\nformat = \"json\"\n[tracing]\nenabled = {enabled}\nendpoint = \"{}\"\nservice_name = \"gw-{enabled}\"\nexport_interval = \"60s\"\n",
            receiver.base_url()
        );
        let path = process_config("tracing", mock.addr, &extra);
        let (mut child, addr) = serve_process(&path, Stdio::piped());
        let stderr = child.stderr.take().unwrap();
        let lines = std::thread::spawn(move || {
            std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        let (tp, tid, _) = client_context();
        rt.block_on(async {
            let url = format!("http://{addr}/v1/chat/completions");
            let r = traced_post(&url, &chat("gpt-4o-mini", "hi"), &tp).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("traceparent").is_some(), enabled);
        });
        // SIGTERM: the gateway drains, then exports whatever is queued before it exits.
        signal(child.id(), "-TERM");
        assert!(child.wait().unwrap().success());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        let access: Vec<Value> = lines
            .join()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == "gearbox::access")
            .collect();
        assert_eq!(access.len(), 1);
        (tid, access[0]["trace_id"].clone())
    };
    let (_, off_trace_id) = serve(false);
    assert_eq!(
        off_trace_id,
        Value::Null,
        "no trace_id field while tracing is off"
    );
    assert!(receiver.all().is_empty(), "spans exported while tracing is off");
    assert_eq!(*receiver.posts.lock().unwrap(), 0);

    let (tid, on_trace_id) = serve(true);
    assert_eq!(on_trace_id, json!(tid));
    let got = receiver.all();
    assert!(got.iter().all(|g| g.service == "gw-true"));
    let spans: Vec<Span> = got.into_iter().map(|g| g.span).collect();
    assert!(spans.iter().all(|s| hex::encode(&s.trace_id) == tid));
    let srv = server(&spans);
    assert_child(one(&spans, "chat gpt-4o-mini"), srv);
    assert!(
        spans.len() >= 5,
        "{:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
}

/// A request without `traceparent` starts a trace of its own: the server span is a root, and
/// the `traceparent` the client asked for names that new trace.
#[tokio::test]
async fn a_request_without_traceparent_starts_a_new_root_trace() {
    pipeline();
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, "")).await;
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[
            ALPHA,
            ("content-type", "application/json"),
            ("x-gearbox-trace", "1"),
        ],
        chat("gpt-4o-mini", "hi").to_string(),
    )
    .await;
    assert_eq!(r.status, 200);
    let tp = r
        .header("traceparent")
        .expect("traceparent asked for")
        .to_string();
    let parts: Vec<&str> = tp.split('-').collect();
    assert_eq!(parts.len(), 4, "{tp}");
    assert_eq!(parts[3], "01", "a new trace at ratio 1.0 is sampled: {tp}");
    let spans = trace(parts[1], has_server).await;
    let srv = server(&spans);
    assert!(
        srv.parent_span_id.is_empty(),
        "the server span is the trace's root"
    );
    assert_eq!(
        hex::encode(&srv.span_id),
        parts[2],
        "the header names the server span"
    );
    assert_child(one(&spans, "chat gpt-4o-mini"), srv);
}

/// With `parent_based = true`, a client's unsampled `traceparent` (flags 00) is followed: none
/// of that request's spans are exported, though the sampling ratio is 1.0.
#[tokio::test]
async fn an_unsampled_client_parent_is_not_exported() {
    let (receiver, _) = pipeline();
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, "")).await;
    let url = gw.url("/v1/chat/completions");
    let (_, unsampled_tid, sid) = client_context();
    let unsampled_tp = format!("00-{unsampled_tid}-{sid}-00");
    let r = traced_post(&url, &chat("gpt-4o-mini", "hi"), &unsampled_tp).await;
    assert_eq!(r.status, 200);
    // The upstream still joins the client's trace, unsampled: its parent is the gateway's
    // (unexported) server span, as no stage span of an unsampled trace is built.
    let upstream_tp = last_unsampled_traceparent(&mock, &unsampled_tid).await;
    assert!(
        !upstream_tp.contains(&sid),
        "the gateway's span is the upstream's parent: {upstream_tp}"
    );
    // A background job of an unsampled request runs in its own task, without the server span
    // on its stack: its upstream call still joins the client's trace, unsampled (not a new
    // root trace of its own).
    let body = json!({"model": "gpt-4o-mini", "input": "hi", "background": true});
    let r = traced_post(&gw.url("/v1/responses"), &body, &unsampled_tp).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["id"].as_str().expect("response id").to_string();
    poll_until(&gw, &id, |s| s == "completed").await;
    last_unsampled_traceparent(&mock, &unsampled_tid).await;
    // Spans end in order and the batch processor exports in order: once a sampled request
    // sent afterwards has arrived at the receiver, the unsampled one would have too.
    let (tp, tid, _) = client_context();
    assert_eq!(
        traced_post(&url, &chat("gpt-4o-mini", "hi"), &tp).await.status,
        200
    );
    trace(&tid, has_server).await;
    let leaked: Vec<String> = receiver
        .all()
        .into_iter()
        .filter(|g| hex::encode(&g.span.trace_id) == unsampled_tid)
        .map(|g| g.span.name)
        .collect();
    assert!(leaked.is_empty(), "unsampled trace exported: {leaked:?}");
}

/// A collector that cannot be reached costs the requests nothing: they are answered, and the
/// spans that could not be delivered are counted as failed.
#[test]
fn an_unreachable_collector_fails_exports_but_never_requests() {
    use std::process::Stdio;
    let rt = runtime();
    let mock = rt.block_on(start_mock(MockOptions::default()));
    // A port nothing listens on: bind one, note it, close it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let extra = format!(
        "[tracing]\nenabled = true\nendpoint = \"http://{closed}\"\nexport_interval = \"100ms\"\nexport_timeout = \"1s\"\n"
    );
    let path = process_config("tracing-down", mock.addr, &extra);
    let (mut child, addr) = serve_process(&path, Stdio::null());
    let failed = rt.block_on(async {
        let url = format!("http://{addr}/v1/chat/completions");
        for _ in 0..5 {
            let started = Instant::now();
            let r = post_json(&url, &chat("gpt-4o-mini", "hi")).await;
            assert_eq!(r.status, 200);
            assert!(started.elapsed() < Duration::from_secs(2));
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = request("GET", &format!("http://{addr}/metrics"), &[], "")
                .await
                .text();
            let failed: u64 = text
                .lines()
                .find_map(|l| l.strip_prefix("gearbox_trace_spans_total{outcome=\"failed\"} "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if failed > 0 || Instant::now() > deadline {
                break failed;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    assert!(failed > 0, "failed exports are counted");
}

/// A passed-through request (here `/v1/completions`) is traced too: admission and one client
/// span for its single upstream attempt, whose context the upstream receives.
#[tokio::test]
async fn a_passed_through_request_has_admission_and_an_upstream_span() {
    pipeline();
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, "")).await;
    let (tp, tid, _) = client_context();
    let body = json!({"model": "gpt-4o-mini", "prompt": "Say hi", "max_tokens": 5});
    let r = traced_post(&gw.url("/v1/completions"), &body, &tp).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let spans = trace(&tid, |s| has_server(s) && !named(s, "POST").is_empty()).await;
    let srv = server(&spans);
    assert_child(one(&spans, "gearbox.admission"), srv);
    let attempt = one(&spans, "POST");
    assert_child(attempt, srv);
    assert_eq!(attempt.kind, SpanKind::Client as i32);
    assert_eq!(attr(attempt, "http.request.method"), "POST");
    assert_eq!(attr(attempt, "gen_ai.request.model"), "gpt-4o-mini");
    assert_eq!(attr(attempt, "http.response.status_code"), 200);
    assert_eq!(
        sent_traceparents(&mock).await.last(),
        Some(&traceparent_of(&tid, attempt))
    );
    // No prompt text in any span.
    for s in &spans {
        for kv in &s.attributes {
            let v = kv.value.as_ref().map_or(Value::Null, value);
            assert!(!v.to_string().contains("Say hi"), "{} {}: {v}", s.name, kv.key);
        }
    }
}

/// A Responses stream relayed from an upstream that speaks the Responses API (`api =
/// "responses"`): the stream span carries the usage of its `response.completed` event, as a
/// chat stream's carries its usage chunk's.
#[tokio::test]
async fn a_relayed_responses_stream_span_has_the_usage_of_response_completed() {
    pipeline();
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, &responses_upstream(mock.addr))).await;
    let (tp, tid, _) = client_context();
    let body = json!({"model": "r-mini", "input": "Name three rivers", "stream": true});
    let r = traced_post(&gw.url("/v1/responses"), &body, &tp).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let completed = r
        .text()
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .find(|e| e["type"] == "response.completed")
        .expect("response.completed");
    let usage = &completed["response"]["usage"];
    assert!(usage["output_tokens"].as_i64().unwrap() > 0, "{usage}");

    let spans = trace(&tid, |s| has_server(s) && !named(s, "gearbox.stream").is_empty()).await;
    let srv = server(&spans);
    let stream = one(&spans, "gearbox.stream");
    assert_child(stream, srv);
    assert_eq!(attr(stream, "gearbox.stream.outcome"), "completed");
    assert_eq!(attr(stream, "gen_ai.usage.input_tokens"), usage["input_tokens"]);
    assert_eq!(attr(stream, "gen_ai.usage.output_tokens"), usage["output_tokens"]);
    // The same usage settled the accounting (the server span has it from there).
    assert_eq!(attr(srv, "gen_ai.usage.output_tokens"), usage["output_tokens"]);
}

/// A Responses stream translated from a chat upstream: the stream span counts the Responses
/// events the client received (`response.created` ... `response.completed`), not the chat
/// chunks the upstream sent (before, it reported those), and stays open until the last one.
#[tokio::test]
async fn a_translated_responses_stream_span_counts_the_events_the_client_received() {
    pipeline();
    let mock = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(mock.addr, "")).await;
    let (tp, tid, _) = client_context();
    let body = json!({"model": "gpt-4o-mini", "input": "Name three rivers", "stream": true});
    let r = traced_post(&gw.url("/v1/responses"), &body, &tp).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let events: Vec<Value> = sse_data(&r.text())
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(events.first().unwrap()["type"], "response.created");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.completed");

    let spans = trace(&tid, |s| has_server(s) && !named(s, "gearbox.stream").is_empty()).await;
    let srv = server(&spans);
    let stream = one(&spans, "gearbox.stream");
    assert_child(stream, srv);
    assert_eq!(attr(stream, "gearbox.stream.outcome"), "completed");
    assert_eq!(attr(stream, "gearbox.stream.events"), events.len() as i64);
    let usage = &last["response"]["usage"];
    assert_eq!(attr(stream, "gen_ai.usage.output_tokens"), usage["output_tokens"]);
}
