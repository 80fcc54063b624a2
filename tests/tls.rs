//! Optional TLS termination: with `[server.tls]` the gateway speaks HTTPS (rustls) and serves
//! the same API, over HTTP/2 to a client that offers ALPN `h2` and over HTTP/1.1 otherwise; a
//! plain-HTTP client is refused at the handshake rather than answered in clear.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::*;
use gearbox::mock::MockOptions;
use http_body_util::{BodyExt, Full};
use std::sync::Arc;

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = std::env::temp_dir().join(format!("gearbox-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();

    let mock = start_mock(MockOptions::default()).await;
    let cfg = config_for(mock.addr, "").replacen(
        "[server]\n",
        &format!(
            "[server]\ntls = {{ cert = {:?}, key = {:?} }}\n",
            cert_path.display().to_string(),
            key_path.display().to_string()
        ),
        1,
    );
    let gw = start_gateway(&cfg).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_only()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Full<Bytes>>(https);
    let req = http::Request::post(format!(
        "https://localhost:{}/v1/chat/completions",
        gw.addr.port()
    ))
    .header("authorization", "Bearer alpha-key")
    .body(Full::new(Bytes::from(
        chat("gpt-4o-mini", "over tls").to_string(),
    )))
    .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    // A client offering only `http/1.1` gets HTTP/1.1.
    assert_eq!(resp.version(), http::Version::HTTP_11);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("over tls"));

    // A client offering `h2` and `http/1.1` (as browsers and most HTTP libraries do) gets HTTP/2,
    // plain answers and streams alike.
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_all_versions()
        .build();
    let h2 = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Full<Bytes>>(https);
    for stream in [false, true] {
        let mut body = chat("gpt-4o-mini", "over tls and h2");
        body["stream"] = stream.into();
        let req = http::Request::post(format!(
            "https://localhost:{}/v1/chat/completions",
            gw.addr.port()
        ))
        .header("authorization", "Bearer alpha-key")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
        let resp = h2.request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.version(), http::Version::HTTP_2, "ALPN h2 was offered");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        if stream {
            assert_eq!(
                sse_data(&text).last().map(String::as_str),
                Some("[DONE]"),
                "{text}"
            );
            assert!(stream_content(&text).contains("over tls and h2"), "{text}");
        } else {
            assert!(text.contains("over tls and h2"), "{text}");
        }
    }

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let req = http::Request::get(format!("http://127.0.0.1:{}/healthz", gw.addr.port()))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = tokio::time::timeout(std::time::Duration::from_secs(5), plain.request(req))
        .await
        .unwrap();
    assert!(r.is_err(), "plain HTTP must not be served on the TLS port");
    let _ = std::fs::remove_dir_all(&dir);
}
