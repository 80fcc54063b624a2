//! HTTP/2 on the gateway's port: a client speaking HTTP/2 with prior knowledge (h2c, no TLS) is
//! served as an HTTP/1.1 client is — plain answers, streams event by event, many streams at once
//! over one connection — and the HTTP/1 and HTTP/2 clients share the port. (ALPN `h2` under TLS:
//! tests/tls.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::*;
use gearbox::mock::MockOptions;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/2 connection to `addr`, prior knowledge (the client sends the HTTP/2 preface at
/// once, without an upgrade or ALPN).
async fn h2c(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .handshake(TokioIo::new(tcp))
        .await
        .expect("HTTP/2 handshake with the gateway");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

/// POST `body` to `/v1/chat/completions` over `send`; status, HTTP version and the whole body.
async fn post(
    send: &SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    body: &Value,
) -> (u16, http::Version, String) {
    let req = http::Request::post(format!("http://{addr}/v1/chat/completions"))
        .header("authorization", "Bearer alpha-key")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let mut send = send.clone();
    let resp = tokio::time::timeout(Duration::from_secs(20), async {
        send.ready().await?;
        send.send_request(req).await
    })
    .await
    .expect("response head timed out")
    .expect("request failed");
    let (status, version) = (resp.status().as_u16(), resp.version());
    let body = tokio::time::timeout(Duration::from_secs(20), resp.into_body().collect())
        .await
        .expect("body timed out")
        .expect("body failed")
        .to_bytes();
    (status, version, String::from_utf8_lossy(&body).into_owned())
}

fn streamed(model: &str, text: &str) -> Value {
    json!({"model": model, "stream": true, "messages": [{"role": "user", "content": text}]})
}

#[tokio::test]
async fn an_h2c_prior_knowledge_client_gets_a_chat_completion() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let send = h2c(gw.addr).await;
    let (status, version, body) = post(&send, gw.addr, &chat("gpt-4o-mini", "over h2c")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(version, http::Version::HTTP_2);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("over h2c"));
    // Errors keep their OpenAI shape over HTTP/2 (no key: 401).
    let req = http::Request::post(format!("http://{}/v1/chat/completions", gw.addr))
        .body(Full::new(Bytes::from(chat("gpt-4o-mini", "x").to_string())))
        .unwrap();
    let mut s = send.clone();
    let resp = s.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 401);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["error"]["message"].is_string(), "{v}");

    // The same port still serves HTTP/1.1.
    let r = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini", "over h1")).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn a_stream_over_h2c_carries_every_event() {
    let (_mock, gw) = stack(
        MockOptions {
            tokens_per_sec: 400.0,
            ..MockOptions::default()
        },
        "",
    )
    .await;
    let body = streamed("gpt-4o-mini", "stream me over http two please");
    // The reference: the same request over HTTP/1.1.
    let h1 = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(h1.status, 200);
    let h1_events = sse_data(&h1.text());

    let send = h2c(gw.addr).await;
    let (status, version, text) = post(&send, gw.addr, &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(version, http::Version::HTTP_2);
    let events = sse_data(&text);
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{text}");
    assert_eq!(events.len(), h1_events.len(), "h2: {text}\nh1: {}", h1.text());
    assert_eq!(stream_content(&text), stream_content(&h1.text()));
    assert!(stream_content(&text).contains("stream me over http two"));
}

/// 200 streams at once over one connection, each waiting 300 ms for its first token: served
/// concurrently (far below the 60 s they would take one after another), every one complete.
#[tokio::test]
async fn many_concurrent_streams_share_one_connection() {
    let (_mock, gw) = stack(
        MockOptions {
            ttft: Duration::from_millis(300),
            ..MockOptions::default()
        },
        "",
    )
    .await;
    let send = h2c(gw.addr).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let send = send.clone();
            let addr = gw.addr;
            tokio::spawn(async move {
                let body = if i % 2 == 0 {
                    streamed("gpt-4o-mini", &format!("stream number {i}"))
                } else {
                    chat("gpt-4o-mini", &format!("plain number {i}"))
                };
                (i, post(&send, addr, &body).await)
            })
        })
        .collect();
    for t in tasks {
        let (i, (status, version, text)) = t.await.unwrap();
        assert_eq!(status, 200, "request {i}: {text}");
        assert_eq!(version, http::Version::HTTP_2);
        if i % 2 == 0 {
            assert_eq!(
                sse_data(&text).last().map(String::as_str),
                Some("[DONE]"),
                "{text}"
            );
            assert!(
                stream_content(&text).contains(&format!("stream number {i}")),
                "{text}"
            );
        } else {
            assert!(text.contains(&format!("plain number {i}")), "{text}");
        }
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "200 requests of 300 ms took {took:?}"
    );
}

/// The wait for the first bytes (which tell HTTP/2 from HTTP/1) is bounded by
/// `header_read_timeout`: a client that sends nothing, or only part of the HTTP/2 preface, is
/// disconnected, and its slot under `max_connections` comes free.
#[tokio::test]
async fn a_silent_or_partial_preface_client_is_disconnected() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 65536\nheader_read_timeout = \"1s\"\n",
    );
    let gw = start_gateway(&cfg).await;
    let silent = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    partial.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    for mut s in [silent, partial] {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("the gateway kept a silent connection open past header_read_timeout");
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    }
}

/// The HTTP version of the mock's last recorded request.
async fn upstream_version(mock: &Running) -> String {
    let stats = mock_stats(mock).await;
    let last = stats["last_requests"]
        .as_array()
        .and_then(|l| l.last())
        .cloned()
        .unwrap();
    last["http_version"].as_str().unwrap().to_string()
}

/// `http2 = "prior_knowledge"` on a plain-HTTP upstream: the gateway speaks h2c to it, plain
/// answers and streams alike; by default a plain-HTTP upstream gets HTTP/1.1.
#[tokio::test]
async fn the_gateway_speaks_h2c_to_an_upstream_configured_for_it() {
    let mock = start_mock(MockOptions::default()).await;
    let h1 = start_gateway(&config_for(mock.addr, "")).await;
    let r = post_json(
        &h1.url("/v1/chat/completions"),
        &chat("gpt-4o-mini", "by default"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(upstream_version(&mock).await, "HTTP/1.1");

    let cfg = config_for(mock.addr, "").replacen(
        "request_timeout = \"3s\"\n",
        "request_timeout = \"3s\"\nhttp2 = \"prior_knowledge\"\n",
        1,
    );
    let gw = start_gateway(&cfg).await;
    let r = post_json(
        &gw.url("/v1/chat/completions"),
        &chat("gpt-4o-mini", "h2c upstream"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("h2c upstream"));
    assert_eq!(upstream_version(&mock).await, "HTTP/2.0");
    let r = post_json(
        &gw.url("/v1/chat/completions"),
        &streamed("gpt-4o-mini", "streamed from an h2c upstream"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(sse_data(&r.text()).last().map(String::as_str), Some("[DONE]"));
    assert!(stream_content(&r.text()).contains("streamed from an h2c upstream"));
    assert_eq!(upstream_version(&mock).await, "HTTP/2.0");
}

/// An `https` upstream that offers `h2` in ALPN (the mock behind TLS, its CA trusted through
/// `ca_file`) is spoken to over HTTP/2 by default, and over HTTP/1.1 with `http2 = "off"`.
#[tokio::test]
async fn the_gateway_negotiates_h2_with_a_tls_upstream() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("gearbox-h2-upstream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();

    // The mock, served over TLS by the gateway's own server code.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock_addr = listener.local_addr().unwrap();
    let svc = tower::util::BoxCloneService::new(gearbox::mock::MockService::new(
        gearbox::mock::MockState::new(MockOptions::default()),
    ));
    let opts = gearbox::server::ServeOptions {
        tls: Some(gearbox::server::tls_acceptor(&cert_path, &key_path).unwrap()),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gearbox::server::serve(listener, svc, opts, async {
        let _ = stopped.await;
    }));
    // The mock's stats, over TLS and HTTP/1.1.
    let roots = {
        let mut r = rustls::RootCertStore::empty();
        r.add(cert.cert.der().clone()).unwrap();
        r
    };
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();
    let stats_client =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(https);
    let last_version = || async {
        let req = http::Request::get(format!("https://localhost:{}/mock/stats", mock_addr.port()))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = stats_client.request(req).await.unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["last_requests"].as_array().unwrap().last().unwrap()["http_version"]
            .as_str()
            .unwrap()
            .to_string()
    };

    for (setting, want) in [("", "HTTP/2.0"), ("http2 = \"off\"\n", "HTTP/1.1")] {
        let cfg = config_for(mock_addr, "").replacen(
            &format!("base_url = \"http://{mock_addr}/v1\"\n"),
            &format!(
                "base_url = \"https://localhost:{}/v1\"\nca_file = {:?}\n{setting}",
                mock_addr.port(),
                cert_path.display().to_string()
            ),
            1,
        );
        assert!(cfg.contains("ca_file"), "{cfg}");
        let gw = start_gateway(&cfg).await;
        let r = post_json(
            &gw.url("/v1/chat/completions"),
            &chat("gpt-4o-mini", "tls upstream"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("tls upstream"));
        assert_eq!(last_version().await, want, "setting {setting:?}");
        let r = post_json(
            &gw.url("/v1/chat/completions"),
            &streamed("gpt-4o-mini", "streamed over tls"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(stream_content(&r.text()).contains("streamed over tls"));
        assert_eq!(last_version().await, want, "setting {setting:?}");
    }
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Graceful shutdown over HTTP/2: a stream open when shutdown begins runs to its end (the
/// client gets a GOAWAY, not a reset), as an HTTP/1.1 stream does.
#[tokio::test]
async fn an_open_h2_stream_finishes_during_graceful_shutdown() {
    let mock = start_mock(MockOptions {
        tokens_per_sec: 20.0,
        ..MockOptions::default()
    })
    .await;
    let mut gw = start_draining(&config_for(mock.addr, "")).await;
    let addr = gw.addr;
    let mut send = h2c(addr).await;
    let req = http::Request::post(format!("http://{addr}/v1/chat/completions"))
        .header("authorization", "Bearer alpha-key")
        .body(Full::new(Bytes::from(
            streamed("gpt-4o-mini", "drain me over http two").to_string(),
        )))
        .unwrap();
    send.ready().await.unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    gw.stop();
    let rest = tokio::time::timeout(Duration::from_secs(10), body.collect())
        .await
        .expect("the stream did not finish during the drain")
        .expect("the stream was cut during the drain")
        .to_bytes();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&first),
        String::from_utf8_lossy(&rest)
    );
    assert_eq!(
        sse_data(&text).last().map(String::as_str),
        Some("[DONE]"),
        "{text}"
    );
    assert!(stream_content(&text).contains("drain me over http two"), "{text}");
    gw.stopped().await;
}

/// An HTTP/2 connection without an open stream is closed after about `header_read_timeout`
/// (between one and two periods), as an idle HTTP/1.1 keep-alive connection is, so idle
/// connections cannot hold the slots under `max_connections`; a stream that lasts longer than
/// that keeps its connection.
#[tokio::test]
async fn an_idle_h2_connection_is_closed_but_a_long_stream_keeps_it() {
    let mock = start_mock(MockOptions {
        tokens_per_sec: 8.0,
        ..MockOptions::default()
    })
    .await;
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 65536\nheader_read_timeout = \"1s\"\n",
    );
    let gw = start_gateway(&cfg).await;
    let tcp = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let (send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
        .await
        .unwrap();
    let mut conn = tokio::spawn(conn);
    // About 27 tokens at 8 per second: a stream of over 3 s, longer than two idle periods.
    let started = Instant::now();
    let (status, _, text) = post(
        &send,
        gw.addr,
        &streamed(
            "gpt-4o-mini",
            "a long answer streamed slowly enough to outlast the idle period of its connection \
             several times over, word by word, token by token, until the end",
        ),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(
        started.elapsed() > Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        sse_data(&text).last().map(String::as_str),
        Some("[DONE]"),
        "{text}"
    );
    // Idle now: closed within two periods (plus slack).
    let closed = tokio::time::timeout(Duration::from_secs(5), &mut conn).await;
    assert!(closed.is_ok(), "an idle HTTP/2 connection stayed open");
}

#[tokio::test]
async fn oversized_headers_over_h2c_get_the_gateways_431_and_the_connection_serves_on() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let send = h2c(gw.addr).await;
    let secret = "hunter2-";
    let big = format!("{secret}{}", "v".repeat(100 * 1024));
    let many: Vec<(String, String)> = (0..150)
        .map(|i| (format!("x-h-{i}"), format!("{secret}{i}")))
        .collect();
    let mut cases: Vec<(&str, Vec<(&str, &str)>)> = vec![("100 KB header", vec![("x-big", big.as_str())])];
    cases.push((
        "150 headers",
        many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
    ));
    for (what, headers) in cases {
        let mut req = http::Request::post(format!("http://{}/v1/chat/completions", gw.addr))
            .header("authorization", "Bearer alpha-key")
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let req = req
            .body(Full::new(Bytes::from(chat("gpt-4o-mini", "x").to_string())))
            .unwrap();
        let mut s = send.clone();
        let resp = tokio::time::timeout(Duration::from_secs(10), async {
            s.ready().await?;
            s.send_request(req).await
        })
        .await
        .expect("no answer")
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(resp.status(), 431, "{what}");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body).into_owned();
        assert!(
            !text.contains(secret),
            "{what}: a header value was echoed: {text}"
        );
        let v: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{what}: {e}: {text:?}"));
        assert_eq!(
            v["error"]["code"], "request_header_fields_too_large",
            "{what}: {v}"
        );
        assert_eq!(v["error"]["type"], "invalid_request_error", "{what}: {v}");
    }
    // The same connection serves a normal request afterwards.
    let (status, version, body) = post(&send, gw.addr, &chat("gpt-4o-mini", "after")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(version, http::Version::HTTP_2);
}

/// The frames a bare HTTP/2 client reads on a connection it opens and then leaves idle, until the
/// server closes it: (type, flags, payload) per frame. It acknowledges the server's SETTINGS and
/// PINGs, so only the idle bound can end the connection.
async fn frames_until_closed(addr: SocketAddr) -> Vec<(u8, u8, Vec<u8>)> {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
    // An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
    tcp.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    let mut frames = Vec::new();
    loop {
        let mut head = [0u8; 9];
        match tokio::time::timeout(Duration::from_secs(10), tcp.read_exact(&mut head)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return frames,
            Err(_) => panic!("the idle connection was not closed: {frames:?}"),
        }
        let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
        let mut payload = vec![0u8; len];
        if tcp.read_exact(&mut payload).await.is_err() {
            return frames;
        }
        let (kind, flags) = (head[3], head[4]);
        if kind == 4 && flags & 1 == 0 {
            let _ = tcp.write_all(&[0, 0, 0, 4, 1, 0, 0, 0, 0]).await;
        }
        if kind == 6 && flags & 1 == 0 {
            let mut ack = vec![0, 0, 8, 6, 1, 0, 0, 0, 0];
            ack.extend_from_slice(&payload);
            let _ = tcp.write_all(&ack).await;
        }
        frames.push((kind, flags, payload));
    }
}

/// An idle HTTP/2 connection is closed with a GOAWAY (NO_ERROR) before the socket closes, so a
/// client knows to open no new stream on it; it was dropped without one.
#[tokio::test]
async fn an_idle_h2_connection_is_closed_with_a_goaway() {
    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replace(
        "max_body_bytes = 65536\n",
        "max_body_bytes = 65536\nheader_read_timeout = \"1s\"\n",
    );
    let gw = start_gateway(&cfg).await;
    let frames = frames_until_closed(gw.addr).await;
    let goaway = frames.iter().find(|(kind, _, _)| *kind == 7);
    let Some((_, _, payload)) = goaway else {
        panic!(
            "closed without a GOAWAY; frame types {:?}",
            frames.iter().map(|f| f.0).collect::<Vec<_>>()
        );
    };
    // Last stream id (none opened), then the error code: NO_ERROR.
    assert_eq!(&payload[4..8], &[0, 0, 0, 0], "{payload:?}");
}
