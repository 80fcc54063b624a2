//! Test harness: the real gateway and the real mock, in-process, each on 127.0.0.1:0, and a
//! small HTTP client. No fixed ports, no sleeps standing in for readiness (a bound listener is
//! ready when `start` returns).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use gearbox::config::{self, ConfigSource};
use gearbox::mock::MockOptions;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running in-process server; stops when dropped.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub async fn start_mock(opts: MockOptions) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(gearbox::run_mock(listener, opts, async {
        let _ = rx.await;
    }));
    Running { addr, stop: Some(tx) }
}

/// SHA-256 hex of a key, as configured.
pub fn key_hash(key: &str) -> String {
    hex::encode(config::hash_key(key))
}

/// A gateway config pointing at `mock`, with team `alpha` (key `alpha-key`) and team `beta`
/// (key `beta-key`); `extra` is appended verbatim.
pub fn config_for(mock: SocketAddr, extra: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 65536

[auth]
mode = "keys"

[upstreams.mock]
base_url = "http://{mock}/v1"
api_key_env = "TEST_UPSTREAM_KEY"
request_timeout = "3s"
stream_idle_timeout = "2s"

[models."gpt-4o-mini"]
upstream = "mock"
kind = "chat"

[models."o3-mini"]
upstream = "mock"
kind = "reasoning"

[models."fast"]
upstream = "mock"
name = "gpt-4o"
kind = "chat"

[models."text-embedding-3-small"]
upstream = "mock"
kind = "embedding"

[[teams.alpha.keys]]
sha256 = "{}"

[[teams.beta.keys]]
sha256 = "{}"
{extra}
"#,
        key_hash("alpha-key"),
        key_hash("beta-key")
    )
}

pub fn test_env() -> HashMap<String, String> {
    HashMap::from([("TEST_UPSTREAM_KEY".to_string(), "upstream-secret".to_string())])
}

pub async fn start_gateway(toml: &str) -> Running {
    start_gateway_env(toml, &[]).await
}

/// A gateway whose configuration also reads `env` (besides the test upstream key).
pub async fn start_gateway_env(toml: &str, env: &[(&str, &str)]) -> Running {
    let mut vars = test_env();
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let cfg = config::load_str(toml, ConfigSource::File("<test>".into()), &vars)
        .unwrap_or_else(|e| panic!("test config invalid:\n{e}"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        gearbox::run(listener, cfg, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running { addr, stop: Some(tx) }
}

/// A gateway serving a config file (hot reload watches it).
/// A gateway served in-process by `gearbox::run` whose drain the test starts: `stop` begins the
/// graceful shutdown, `stopped` waits (bounded) for the server to end. For tests of what a
/// drain does to requests in flight.
pub struct Draining {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<Result<(), gearbox::error::StartupError>>,
}

pub async fn start_draining(toml: &str) -> Draining {
    let cfg = config::load_str(toml, ConfigSource::File("<test>".into()), &test_env()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(gearbox::run(listener, cfg, async {
        let _ = stopped.await;
    }));
    Draining {
        addr,
        stop: Some(stop),
        server,
    }
}

impl Draining {
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    pub async fn stopped(self) {
        tokio::time::timeout(Duration::from_secs(10), self.server)
            .await
            .expect("the server did not stop after the drain")
            .unwrap()
            .unwrap();
    }
}

/// Sets the mock's time to first token (`PUT /mock/latency`).
pub async fn set_mock_ttft(mock: &Running, ms: u64) {
    let r = request(
        "PUT",
        &mock.url("/mock/latency"),
        &[("content-type", "application/json")],
        serde_json::json!({"ttft_ms": ms}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

pub async fn start_gateway_file(path: &std::path::Path) -> Running {
    let cfg = config::load(Some(path), &test_env()).unwrap_or_else(|e| panic!("test config invalid:\n{e}"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        gearbox::run(listener, cfg, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running { addr, stop: Some(tx) }
}

/// Mock + gateway in front of it.
pub async fn stack(opts: MockOptions, extra: &str) -> (Running, Running) {
    let mock = start_mock(opts).await;
    let gw = start_gateway(&config_for(mock.addr, extra)).await;
    (mock, gw)
}

pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Assert an OpenAI-shaped error body with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        let v = self.json();
        let e = &v["error"];
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(e["type"].is_string(), "{v}");
        assert!(e.get("param").is_some(), "{v}");
        assert_eq!(e["code"], code, "{v}");
        e.clone()
    }
}

pub fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> http::Response<Incoming> {
    let mut b = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(Full::new(body.into())).unwrap();
    tokio::time::timeout(Duration::from_secs(20), client().request(req))
        .await
        .expect("request timed out")
        .expect("request failed")
}

pub async fn request(method: &str, url: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Resp {
    let resp = send(method, url, headers, body).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = tokio::time::timeout(Duration::from_secs(20), resp.into_body().collect())
        .await
        .expect("body timed out")
        .expect("body failed")
        .to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

pub const ALPHA: (&str, &str) = ("authorization", "Bearer alpha-key");

pub async fn post_json(url: &str, body: &Value) -> Resp {
    request(
        "POST",
        url,
        &[ALPHA, ("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

pub async fn get(url: &str) -> Resp {
    request("GET", url, &[ALPHA], Bytes::new()).await
}

/// Polls `GET /v1/responses/{id}` until `done(status)`, returning the statuses seen and the last body.
pub async fn poll_until(gw: &Running, id: &str, done: impl Fn(&str) -> bool) -> (Vec<String>, Value) {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..400 {
        let r = get(&gw.url(&format!("/v1/responses/{id}"))).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        let s = v["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if done(&s) {
            return (seen, v);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{id} never reached the expected status; seen {seen:?}");
}

pub async fn mock_stats(mock: &Running) -> Value {
    request("GET", &mock.url("/mock/stats"), &[], Bytes::new())
        .await
        .json()
}

pub async fn mock_fault(mock: &Running, plan: Value) {
    let r = request("POST", &mock.url("/mock/faults"), &[], plan.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// Parse an SSE body into its `data:` payloads.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|ev| {
            let lines: Vec<&str> = ev
                .lines()
                .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                .collect();
            if lines.is_empty() {
                None
            } else {
                Some(lines.join("\n"))
            }
        })
        .collect()
}

/// The concatenated `delta.content` of a chat completion stream.
/// The `data:` payloads of an SSE body parsed as JSON (each must be JSON).
pub fn events_of(text: &str) -> Vec<Value> {
    sse_data(text)
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or_else(|_| panic!("not JSON: {d}")))
        .collect()
}

pub fn stream_content(body: &str) -> String {
    sse_data(body)
        .iter()
        .filter(|d| d.as_str() != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["choices"][0]["delta"]["content"].as_str().map(str::to_string))
        .collect()
}

pub fn chat(model: &str, text: &str) -> Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": text}]})
}

/// Send signal `sig` (`-TERM`, `-HUP`, ...) to process `pid` (a `gearbox serve` the test
/// started), asserting it was delivered.
pub fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success(), "kill {sig} {pid}");
}

/// Config for a second upstream, `mockr`, that speaks the Responses API (`api = "responses"`:
/// Responses requests are relayed, not translated) at `mock`, and the model `r-mini` served
/// by it (upstream name `gpt-4o-mini`): for `config_for`'s `extra`.
pub fn responses_upstream(mock: SocketAddr) -> String {
    format!(
        r#"
[upstreams.mockr]
base_url = "http://{mock}/v1"
api = "responses"

[models."r-mini"]
upstream = "mockr"
name = "gpt-4o-mini"
kind = "chat"
"#
    )
}

/// Write `config_for(mock, extra)` to a fresh temporary file for a `gearbox serve` process (which
/// has no test environment, so the upstream key line that reads it is left out); returns its path.
pub fn process_config(tag: &str, mock: SocketAddr, extra: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "gearbox-{tag}-{}-{}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.toml");
    let cfg = config_for(mock, extra).replace("api_key_env = \"TEST_UPSTREAM_KEY\"\n", "");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Start `gearbox serve --config FILE` as its own OS process, its stderr as given; returns it
/// and its address.
pub fn serve_process(config: &std::path::Path, stderr: std::process::Stdio) -> (std::process::Child, String) {
    spawn_announced(
        std::process::Command::new(env!("CARGO_BIN_EXE_gearbox"))
            .args(["serve", "--config"])
            .arg(config)
            .stderr(stderr),
        "gearbox",
    )
}

/// Start the gearbox binary as `cmd` (its stdout taken over) and read its announcement,
/// `{what} listening on http://ADDR`; returns the child and ADDR.
pub fn spawn_announced(cmd: &mut std::process::Command, what: &str) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix(&format!("{what} listening on http://"))
        .unwrap_or_else(|| panic!("expected `{what} listening on http://ADDR`, got {line:?}"))
        .to_string();
    (child, addr)
}
