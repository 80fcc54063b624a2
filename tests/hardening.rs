//! Hardening (issue 22): hostile or broken input from clients and upstreams is bounded and
//! answered in the OpenAI error shape; upstream secrets and garbage never reach the client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use serde_json::json;

/// The `request_id` the mock saw on its most recent request.
async fn last_upstream_request_id(mock: &Running) -> serde_json::Value {
    let stats = mock_stats(mock).await;
    let last = stats["last_requests"].as_array().unwrap();
    last.last().unwrap()["request_id"].clone()
}

#[tokio::test]
async fn an_unbounded_or_unsafe_request_id_is_replaced_not_echoed_or_forwarded() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    // Distinct prompts, so that every request reaches the upstream (no cache hit).
    let body = |i: usize| chat("gpt-4o-mini", &format!("hello {i}")).to_string();

    // A short, safe id is kept: echoed and forwarded.
    let ok = "trace-1.a_b:c-2";
    let r = request("POST", &url, &[ALPHA, ("x-request-id", ok)], body(0)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-request-id"), Some(ok));
    assert_eq!(last_upstream_request_id(&mock).await, json!(ok));
    let longest = "a".repeat(128);
    let r = request("POST", &url, &[ALPHA, ("x-request-id", &longest)], body(1)).await;
    assert_eq!(r.header("x-request-id"), Some(longest.as_str()));

    // Too long (129 bytes, and 60 KB) or with unsafe characters: a generated id instead.
    let too_long = "a".repeat(129);
    let huge = "x".repeat(60 * 1024);
    let bad_ids = [too_long.as_str(), huge.as_str(), "a b", "id\"}{", "a/b", "é"];
    for (i, bad) in bad_ids.into_iter().enumerate() {
        let r = request("POST", &url, &[ALPHA, ("x-request-id", bad)], body(i + 2)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let echoed = r.header("x-request-id").unwrap_or_default().to_string();
        assert!(!echoed.is_empty(), "a generated id is echoed");
        assert_ne!(echoed, bad, "the bad id was echoed");
        assert!(echoed.starts_with("gbx-"), "{echoed}");
        let forwarded = last_upstream_request_id(&mock).await;
        assert_eq!(forwarded, json!(echoed), "the upstream got the generated id");
    }
}

/// Assert the gateway's own `upstream_auth_failed` answer, with nothing of the upstream's text.
fn assert_upstream_auth_failed(r: &Resp, what: &str) {
    let e = r.assert_error(502, "upstream_auth_failed");
    let text = r.text();
    assert!(!text.contains("sk-"), "{what}: upstream text relayed: {text}");
    assert!(
        !text.contains("Incorrect API key"),
        "{what}: upstream text relayed: {text}"
    );
    assert!(e["message"].as_str().unwrap().contains("operator"), "{what}: {e}");
}

#[tokio::test]
async fn upstream_401_and_403_bodies_are_not_relayed() {
    // The mock wants a key the gateway does not have: every call is refused with 401.
    let mock = start_mock(MockOptions {
        api_key: Some("the-right-upstream-key".into()),
        ..MockOptions::default()
    })
    .await;
    let gw = start_gateway(&config_for(mock.addr, &responses_upstream(mock.addr))).await;
    let chat_url = gw.url("/v1/chat/completions");
    for stream in [false, true] {
        let mut body = chat("gpt-4o-mini", "hello");
        body["stream"] = json!(stream);
        let r = post_json(&chat_url, &body).await;
        assert_upstream_auth_failed(&r, &format!("chat stream={stream}"));
    }
    let r = post_json(
        &gw.url("/v1/embeddings"),
        &json!({"model": "text-embedding-3-small", "input": "hello"}),
    )
    .await;
    assert_upstream_auth_failed(&r, "embeddings");
    for model in ["gpt-4o-mini", "r-mini"] {
        for stream in [false, true] {
            let body = json!({"model": model, "input": "hello", "stream": stream});
            let r = post_json(&gw.url("/v1/responses"), &body).await;
            assert_upstream_auth_failed(&r, &format!("responses {model} stream={stream}"));
        }
    }
    // A passed-through request (the model names the upstream) is answered the same way.
    let r = post_json(
        &gw.url("/v1/completions"),
        &json!({"model": "gpt-4o-mini", "prompt": "hello"}),
    )
    .await;
    assert_upstream_auth_failed(&r, "passthrough completions");

    // A 403 naming part of the upstream key, as OpenAI's does.
    let (mock, gw) = stack(MockOptions::default(), "").await;
    for stream in [false, true] {
        mock_fault(
            &mock,
            json!({"kind": "status", "status": 403,
                   "message": "Incorrect API key provided: sk-****8e7d"}),
        )
        .await;
        let mut body = chat("gpt-4o-mini", "hello");
        body["stream"] = json!(stream);
        let r = post_json(&gw.url("/v1/chat/completions"), &body).await;
        assert_upstream_auth_failed(&r, &format!("403 stream={stream}"));
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let body = chat("gpt-4o-mini", "hi").to_string();
    for auth in [
        "Bearer alpha-key",
        "bearer alpha-key",
        "BEARER alpha-key",
        "BeArEr  alpha-key",
    ] {
        let r = request("POST", &url, &[("authorization", auth)], body.clone()).await;
        assert_eq!(r.status, 200, "{auth}: {}", r.text());
    }
    for auth in ["Basic alpha-key", "Bearerx alpha-key", "alpha-key", "Bearer "] {
        let r = request("POST", &url, &[("authorization", auth)], body.clone()).await;
        r.assert_error(401, "invalid_api_key");
    }
}

#[tokio::test]
async fn a_trickled_body_gets_408_within_body_read_timeout_and_frees_its_slot() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mock = start_mock(MockOptions::default()).await;
    // One connection slot: while the trickler holds it, nobody else is served.
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 1048576\nmax_connections = 1\nbody_read_timeout = \"1s\"\n",
    );
    let gw = start_gateway(&cfg).await;
    let started = std::time::Instant::now();
    let stream = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = "POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer alpha-key\r\n\
                content-type: application/json\r\ncontent-length: 100000\r\n\r\n{";
    wr.write_all(head.as_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        // One byte every 100 ms: 100000 bytes would take hours.
        while wr.write_all(b" ").await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), rd.read_to_end(&mut answer)).await;
    trickle.abort();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(read.is_ok(), "no answer and no close within 5 s; got {answer:?}");
    let elapsed = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        elapsed < std::time::Duration::from_secs(3),
        "answered after {elapsed:?}"
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(v["error"]["code"], "body_read_timeout", "{v}");
    assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");

    // The slot is free again: health checks and requests are served.
    let r = request("GET", &gw.url("/healthz"), &[], "").await;
    assert_eq!(r.status, 200);
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "hi")).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// An upstream that answers every request with the same raw bytes and closes; counts requests.
async fn raw_upstream(
    answer: &'static [u8],
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                // Read the head and the body (by content-length), then answer.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = s.write_all(answer).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (addr, count)
}

fn greedy_stream(text: &str) -> serde_json::Value {
    let mut b = chat("gpt-4o-mini", text);
    b["temperature"] = json!(0);
    b["stream"] = json!(true);
    b
}

#[tokio::test]
async fn garbage_in_an_upstream_stream_is_one_error_event_and_never_cached() {
    use std::sync::atomic::Ordering;
    // A 200 HTML page (a captive proxy, a misrouted base_url) to a stream request: 502.
    let (html, html_calls) = raw_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: 42\r\n\
          connection: close\r\n\r\n<html><body>Welcome to nginx</body></html>",
    )
    .await;
    let gw = start_gateway(&config_for(html, "")).await;
    for _ in 0..2 {
        let r = post_json(&gw.url("/v1/chat/completions"), &greedy_stream("html please")).await;
        r.assert_error(502, "upstream_protocol_error");
        assert!(!r.text().contains("nginx"), "{}", r.text());
    }
    assert_eq!(
        html_calls.load(Ordering::SeqCst),
        2,
        "a non-stream answer was cached"
    );

    // An event stream with NUL and 0xFF bytes and a PNG header after a valid chunk.
    let (garbage, garbage_calls) = raw_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n\
          data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n\
          \x00\x00\xff\xfe\x89PNG\r\n\x1a\n\n\
          data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n\
          data: [DONE]\n\n",
    )
    .await;
    let gw = start_gateway(&config_for(garbage, "")).await;
    for _ in 0..2 {
        let r = post_json(&gw.url("/v1/chat/completions"), &greedy_stream("garbage please")).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("x-gearbox-cache"),
            Some("miss"),
            "the broken stream was cached"
        );
        let body = &r.body;
        assert!(
            !body.contains(&0u8) && !body.contains(&0xffu8),
            "garbage relayed: {body:?}"
        );
        let text = r.text();
        assert!(!text.contains("PNG"), "{text}");
        assert_eq!(text.matches("\"error\"").count(), 1, "{text}");
        assert!(text.contains("upstream_protocol_error"), "{text}");
        assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    }
    assert_eq!(garbage_calls.load(Ordering::SeqCst), 2);

    // The upstream's own error event, then the end of the body: one error event, not two.
    let (erroring, _) = raw_upstream(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n\
          data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n\
          data: {\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
    )
    .await;
    let gw = start_gateway(&config_for(erroring, "")).await;
    let r = post_json(&gw.url("/v1/chat/completions"), &greedy_stream("error please")).await;
    let text = r.text();
    assert_eq!(text.matches("\"error\"").count(), 1, "{text}");
    assert!(
        text.contains("overloaded") && text.ends_with("data: [DONE]\n\n"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding 7: no open relay by default; /metrics not exposed to anyone.

const BIN: &str = env!("CARGO_BIN_EXE_gearbox");

/// `gearbox serve` with the embedded default (no config file), only `vars` in its environment
/// (no OPENAI_API_KEY: the built-in simulator serves, nothing reaches the internet).
fn serve_cmd(vars: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.arg("serve").env_clear().envs(vars.iter().copied());
    cmd
}

/// Run `gearbox serve` expecting it to refuse its configuration: exit status 2 (within 10 s;
/// a gateway that starts instead is killed and the test fails), and its stderr.
fn refused(vars: &[(&str, &str)]) -> String {
    use std::io::Read;
    let mut child = serve_cmd(vars)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(2),
        "expected a refused configuration, the gateway started (or failed otherwise): {err}"
    );
    err
}

/// A running `gearbox serve` process, killed when dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `gearbox serve` and read its announcements: `gearbox listening on http://ADDR`, then,
/// when `[metrics] listen` is set, `metrics listening on http://ADDR`.
fn serve_announced(vars: &[(&str, &str)], lines: usize) -> (Process, Vec<String>) {
    use std::io::BufRead;
    let mut child = serve_cmd(vars)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let proc = Process(child);
    let mut addrs = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .split_once(" listening on http://")
            .unwrap_or_else(|| panic!("expected an announcement, got {line:?}"))
            .1
            .to_string();
        addrs.push(addr);
    }
    (proc, addrs)
}

/// Reach a server announced on a wildcard address through loopback.
fn local(addr: &str, path: &str) -> String {
    let port = addr.rsplit(':').next().unwrap();
    format!("http://127.0.0.1:{port}{path}")
}

/// The bug: with `docker run -e OPENAI_API_KEY=...` (the image listens on 0.0.0.0 and the
/// embedded default has no client auth) anyone who could reach the port was served. Without
/// auth a non-loopback address now refuses to start, naming the fixes; the explicit opt-in
/// starts; loopback without a config file (README's run command) still starts.
#[tokio::test]
async fn no_client_auth_on_a_public_address_refuses_to_start_unless_allowed() {
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let err = refused(&[("GEARBOX_SERVER__LISTEN", listen)]);
        assert!(err.contains("auth.mode"), "{err}");
        assert!(err.contains("not a loopback address"), "{err}");
        assert!(err.contains("server.allow_unauthenticated = true"), "{err}");
        assert!(err.contains("GEARBOX_CLIENT_KEY"), "{err}");
    }

    let (_gw, addrs) = serve_announced(
        &[
            ("GEARBOX_SERVER__LISTEN", "0.0.0.0:0"),
            ("GEARBOX_SERVER__ALLOW_UNAUTHENTICATED", "true"),
        ],
        1,
    );
    assert!(addrs[0].starts_with("0.0.0.0:"), "{addrs:?}");
    let r = request(
        "POST",
        &local(&addrs[0], "/v1/chat/completions"),
        &[("content-type", "application/json")],
        chat("gpt-4o-mini", "open on purpose").to_string(),
    )
    .await;
    assert_eq!(
        r.status,
        200,
        "explicitly open: served without a key: {}",
        r.text()
    );

    let (_gw, addrs) = serve_announced(&[("GEARBOX_SERVER__LISTEN", "127.0.0.1:0")], 1);
    let r = request("GET", &format!("http://{}/healthz", addrs[0]), &[], "").await;
    assert_eq!(r.status, 200);
}

/// The container's quick start (the Dockerfile's variables): key auth with the key from
/// GEARBOX_CLIENT_KEY, and /metrics on a listener of its own, not on the API port.
#[tokio::test]
async fn the_container_takes_its_client_key_from_the_environment_and_moves_metrics_off_the_api_port() {
    let image = [
        ("GEARBOX_SERVER__LISTEN", "0.0.0.0:0"),
        ("GEARBOX_AUTH__MODE", "keys"),
        ("GEARBOX_AUTH__KEY_ENV", "GEARBOX_CLIENT_KEY"),
        ("GEARBOX_METRICS__LISTEN", "127.0.0.1:0"),
    ];
    // No key given: refused, saying which variable to set.
    let err = refused(&image);
    assert!(err.contains("set GEARBOX_CLIENT_KEY"), "{err}");
    // Too short a key: refused.
    let mut short = image.to_vec();
    short.push(("GEARBOX_CLIENT_KEY", "abc"));
    let err = refused(&short);
    assert!(
        err.contains("auth.key_env") && err.contains("shorter than 16"),
        "{err}"
    );

    let key = "c0ffee-0123456789abcdef";
    let mut vars = image.to_vec();
    vars.push(("GEARBOX_CLIENT_KEY", key));
    let (_gw, addrs) = serve_announced(&vars, 2);
    let (api, metrics) = (&addrs[0], &addrs[1]);
    let url = local(api, "/v1/chat/completions");
    let body = chat("gpt-4o-mini", "from the container").to_string();
    let r = request(
        "POST",
        &url,
        &[("content-type", "application/json")],
        body.clone(),
    )
    .await;
    r.assert_error(401, "invalid_api_key");
    let auth = format!("Bearer {key}");
    let r = request(
        "POST",
        &url,
        &[("authorization", &auth), ("content-type", "application/json")],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // /metrics: not on the API port, on its own listener.
    let r = request("GET", &local(api, "/metrics"), &[], "").await;
    r.assert_error(404, "not_found");
    let r = request("GET", &format!("http://{metrics}/metrics"), &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("gearbox_requests_total{") && r.text().contains("team=\"default\""),
        "{}",
        r.text()
    );
    // That listener serves nothing else.
    let r = request("GET", &format!("http://{metrics}/v1/models"), &[], "").await;
    r.assert_error(404, "not_found");
}

/// The bug: `/metrics` (team names, spend) answered anyone. With `[metrics] bearer_token_env`
/// a scrape needs the token (401 in the OpenAI shape without it, or with a gateway key).
#[tokio::test]
async fn metrics_behind_a_bearer_token_answer_401_without_it() {
    let mock = start_mock(MockOptions::default()).await;
    let toml = config_for(
        mock.addr,
        "[metrics]\nbearer_token_env = \"TEST_METRICS_TOKEN\"\n",
    );
    let gw = start_gateway_env(&toml, &[("TEST_METRICS_TOKEN", "scrape-secret-42")]).await;
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "count me")).await;
    assert_eq!(r.status, 200);
    let url = gw.url("/metrics");
    for headers in [
        &[][..],
        &[ALPHA][..],
        &[("authorization", "Bearer wrong")][..],
        &[("authorization", "scrape-secret-42")][..],
    ] {
        let r = request("GET", &url, headers, "").await;
        let e = r.assert_error(401, "invalid_api_key");
        assert!(!r.text().contains("gearbox_requests_total"), "{e}");
        assert!(!r.text().contains("scrape-secret-42"), "{e}");
    }
    for scheme in ["Bearer", "bearer"] {
        let auth = format!("{scheme} scrape-secret-42");
        let r = request("GET", &url, &[("authorization", &auth)], "").await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("team=\"alpha\""), "{}", r.text());
    }
    // Health and readiness stay open.
    assert_eq!(request("GET", &gw.url("/healthz"), &[], "").await.status, 200);
    assert_eq!(request("GET", &gw.url("/readyz"), &[], "").await.status, 200);
    // A token variable that is not set is refused at load, naming it.
    let errs = gearbox::config::load_str(
        &toml,
        gearbox::config::ConfigSource::File("<test>".into()),
        &test_env(),
    )
    .unwrap_err();
    assert!(
        errs.to_string().contains("metrics.bearer_token_env")
            && errs.to_string().contains("TEST_METRICS_TOKEN"),
        "{errs}"
    );
}

/// One HTTP/1.1 response read off a raw connection: status, head and body (by its
/// `content-length`); `None` when the connection closes cleanly before any byte of it.
async fn read_h1_response<R: tokio::io::AsyncBufRead + Unpin>(rd: &mut R) -> Option<(u16, String, Vec<u8>)> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = rd.read_line(&mut line).await.unwrap();
        if n == 0 {
            assert!(
                head.is_empty(),
                "connection closed inside a response head: {head:?}"
            );
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let status: u16 = head.get(9..12).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no content-length: {head}"));
    let mut body = vec![0u8; len];
    rd.read_exact(&mut body).await.unwrap();
    Some((status, head, body))
}

/// Assert the gateway's own 431 (OpenAI shape, no header value in it).
fn assert_431(body: &[u8], secret: &str, what: &str) -> serde_json::Value {
    let text = String::from_utf8_lossy(body);
    assert!(
        !text.contains(secret),
        "{what}: a header value was echoed: {text}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(body).unwrap_or_else(|e| panic!("{what}: {e}: {text:?}"));
    let e = &v["error"];
    assert_eq!(e["code"], "request_header_fields_too_large", "{what}: {v}");
    assert_eq!(e["type"], "invalid_request_error", "{what}: {v}");
    assert!(
        e.get("param").is_some_and(serde_json::Value::is_null),
        "{what}: {v}"
    );
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {v}"
    );
    v
}

/// 150 small headers whose values start with `secret`.
fn many_headers(secret: &str) -> Vec<(String, String)> {
    (0..150)
        .map(|i| (format!("x-h-{i}"), format!("{secret}{i}")))
        .collect()
}

/// The count of `gearbox_errors_total{code="request_header_fields_too_large"}`.
async fn refusals_431(gw: &Running) -> String {
    let metrics = get(&gw.url("/metrics")).await.text();
    let line = metrics
        .lines()
        .find(|l| l.starts_with("gearbox_errors_total") && l.contains("request_header_fields_too_large"))
        .unwrap_or_else(|| panic!("no error count:\n{metrics}"));
    line.rsplit(' ').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_100_kb_header_gets_431_in_the_openai_shape_and_the_connection_is_kept() {
    use tokio::io::AsyncWriteExt;
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let url = gw.url("/v1/chat/completions");
    let body = chat("gpt-4o-mini", "hi").to_string();
    let secret = "hunter2-";
    // 100 KB in one header (over the default 64 KiB, under hyper's 1 MiB ceiling).
    let big = format!("{secret}{}", "v".repeat(100 * 1024));

    // On one keep-alive connection: the 431, then a normal request on the same connection.
    let stream = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let (rd, mut wr) = stream.into_split();
    let mut rd = tokio::io::BufReader::new(rd);
    let req = |extra: &str| {
        format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer alpha-key\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    wr.write_all(req(&format!("x-big: {big}\r\n")).as_bytes())
        .await
        .unwrap();
    let (status, head, answer) =
        tokio::time::timeout(std::time::Duration::from_secs(10), read_h1_response(&mut rd))
            .await
            .expect("no answer to the oversized request")
            .expect("closed without an answer");
    assert_eq!(status, 431, "{head}{}", String::from_utf8_lossy(&answer));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let v = assert_431(&answer, secret, "100 KB header");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_header_bytes"),
        "{v}"
    );
    // The connection is kept (the 431 does not close it; hyper reads past the small unread
    // body): the next request on it is served.
    wr.write_all(req("").as_bytes()).await.unwrap();
    let (status, head, answer) =
        tokio::time::timeout(std::time::Duration::from_secs(10), read_h1_response(&mut rd))
            .await
            .expect("no answer on the kept connection")
            .expect("the connection was closed after the 431");
    assert_eq!(status, 200, "{head}{}", String::from_utf8_lossy(&answer));

    // Health checks are bounded the same way.
    let r = request("GET", &gw.url("/healthz"), &[("x-big", big.as_str())], "").await;
    assert_eq!(r.status, 431, "{}", r.text());
    assert_431(&r.body, secret, "healthz");

    // At the limits (100 fields with host and content-length; 60 KiB in one header): served.
    let near = "v".repeat(60 * 1024);
    let many = many_headers(secret);
    let mut headers: Vec<(&str, &str)> = many
        .iter()
        .take(95)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    headers.extend([
        ALPHA,
        ("content-type", "application/json"),
        ("x-big", near.as_str()),
    ]);
    let r = request("POST", &url, &headers, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Counted as the gateway's own refusals (the access log line comes from the same record).
    assert_eq!(refusals_431(&gw).await, "2");

    // The limit is the configured one.
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 65536\nmax_header_bytes = 2048\n",
    );
    let gw = start_gateway(&cfg).await;
    let r = post_json(&url_of(&gw), &chat("gpt-4o-mini", "hi")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let three_kb = format!("{secret}{}", "v".repeat(3 * 1024));
    let r = request("POST", &url_of(&gw), &[ALPHA, ("x-big", three_kb.as_str())], body).await;
    assert_eq!(r.status, 431, "{}", r.text());
    assert_431(&r.body, secret, "3 KB over 2048");
}

fn url_of(gw: &Running) -> String {
    gw.url("/v1/chat/completions")
}

#[tokio::test]
async fn too_many_headers_get_431_in_the_openai_shape() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let body = chat("gpt-4o-mini", "hi").to_string();
    let secret = "hunter2-";
    // 150 small headers, over hyper's own HTTP/1.1 ceiling (its default of 100, kept because
    // a higher one allocates per request): hyper's 431, before the stack.
    let many = many_headers(secret);
    let mut headers: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    headers.push(ALPHA);
    let r = request("POST", &url_of(&gw), &headers, body.clone()).await;
    assert_eq!(r.status, 431, "{}", r.text());
    assert!(!r.text().contains(secret), "{}", r.text());

    // Under that ceiling the configured limit answers in the OpenAI shape, counted, and the
    // gateway serves on.
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 65536\nmax_headers = 20\n",
    );
    let gw = start_gateway(&cfg).await;
    let mut headers: Vec<(&str, &str)> = many
        .iter()
        .take(25)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    headers.push(ALPHA);
    let r = request("POST", &url_of(&gw), &headers, body).await;
    assert_eq!(r.status, 431, "{}", r.text());
    let v = assert_431(&r.body, secret, "25 headers over 20");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("max_headers"),
        "{v}"
    );
    assert_eq!(refusals_431(&gw).await, "1");
    let r = post_json(&url_of(&gw), &chat("gpt-4o-mini", "hi")).await;
    assert_eq!(r.status, 200, "{}", r.text());
}
