//! Streaming probe for `scripts/bench`: what a load generator such as oha does not measure.
//!
//! `streamprobe ttfb URL BODY_FILE [N] [BEARER]`: N sequential streaming requests on one
//! keep-alive connection. For each: time to the response head, time to the first SSE event, and
//! the gaps between events as they arrive (a proxy that batches shows fewer, later reads).
//!
//! `streamprobe hold URL BODY_FILE N SECS PID [BEARER]`: opens N connections, each with one
//! streaming request, waits until every stream has delivered its first event, keeps them all
//! open for SECS, and reports the RSS of process PID (the proxy) before, at peak and after.
//!
//! Output: one JSON object on stdout. Plain HTTP/1.1 over TCP, written by hand so that the
//! timestamps are taken at the socket, with nothing buffering in between.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Target {
    addr: String,
    path: String,
    request: Vec<u8>,
}

fn target(url: &str, body_file: &str, bearer: Option<&str>) -> Target {
    let rest = url.strip_prefix("http://").expect("http:// URL");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let body = std::fs::read(body_file).expect("body file");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(k) = bearer {
        head.push_str(&format!("authorization: Bearer {k}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    Target {
        addr: addr.to_string(),
        path: path.to_string(),
        request,
    }
}

/// What one streamed response looked like at the socket.
struct Observed {
    head: Duration,
    first_event: Duration,
    event_times: Vec<Duration>,
    reads_with_events: usize,
}

/// Sends one request on `sock` and reads its chunked SSE response to the end.
async fn one(sock: &mut TcpStream, t: &Target) -> Observed {
    let start = Instant::now();
    sock.write_all(&t.request).await.unwrap();
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut head = None;
    let mut body_start = 0;
    let mut event_times = Vec::new();
    let mut reads_with_events = 0;
    loop {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed mid-response by {}{}", t.addr, t.path);
        let now = start.elapsed();
        let before = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        if head.is_none() {
            if let Some(p) = find(&buf, b"\r\n\r\n") {
                head = Some(now);
                body_start = p + 4;
                let status = std::str::from_utf8(&buf[..12]).unwrap_or("");
                assert!(status.ends_with("200"), "status line: {status}");
            } else {
                continue;
            }
        }
        let scan_from = before.max(body_start).saturating_sub(5);
        let events = count(&buf[scan_from..], b"data: ");
        if events > 0 {
            reads_with_events += 1;
            event_times.extend(std::iter::repeat_n(now, events));
        }
        if buf.ends_with(b"\r\n0\r\n\r\n") || buf[body_start..] == *b"0\r\n\r\n" {
            break;
        }
    }
    Observed {
        head: head.unwrap_or_default(),
        first_event: event_times.first().copied().unwrap_or_default(),
        event_times,
        reads_with_events,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(|a, b| a.total_cmp(b));
    json!({"p50": pct(&v, 0.5), "p90": pct(&v, 0.9), "p99": pct(&v, 0.99), "n": v.len()})
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn ttfb(t: Target, n: usize) {
    let mut sock = TcpStream::connect(&t.addr).await.unwrap();
    sock.set_nodelay(true).unwrap();
    // Warm the connection and both processes' pools.
    for _ in 0..20 {
        one(&mut sock, &t).await;
    }
    let (mut heads, mut firsts, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut events, mut reads) = (0usize, 0usize);
    for _ in 0..n {
        let o = one(&mut sock, &t).await;
        heads.push(o.head.as_secs_f64() * 1e3);
        firsts.push(o.first_event.as_secs_f64() * 1e3);
        for w in o.event_times.windows(2) {
            gaps.push((w[1] - w[0]).as_secs_f64() * 1e3);
        }
        events += o.event_times.len();
        reads += o.reads_with_events;
    }
    println!(
        "{}",
        json!({
            "requests": n,
            "head_ms": summary(heads),
            "first_event_ms": summary(firsts),
            "event_gap_ms": summary(gaps),
            "events_per_read": events as f64 / reads.max(1) as f64,
        })
    );
}

async fn hold(t: Target, n: usize, secs: u64, pid: u32) {
    let rss_before = rss_kib(pid);
    let t = std::sync::Arc::new(t);
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::channel::<bool>(n);
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (t, opened_tx, release) = (t.clone(), opened_tx.clone(), release.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut sock) = TcpStream::connect(&t.addr).await else {
                let _ = opened_tx.send(false).await;
                return;
            };
            if sock.write_all(&t.request).await.is_err() {
                let _ = opened_tx.send(false).await;
                return;
            }
            let mut buf = vec![0u8; 4096];
            let mut seen = Vec::new();
            // Read until the first event has arrived: the stream is open end to end.
            loop {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => {
                        let _ = opened_tx.send(false).await;
                        return;
                    }
                    Ok(k) => {
                        seen.extend_from_slice(&buf[..k]);
                        if find(&seen, b"data: ").is_some() {
                            break;
                        }
                    }
                }
            }
            let _ = opened_tx.send(true).await;
            // Keep reading (the proxy must not be back-pressured) until released.
            tokio::select! {
                _ = release.notified() => {}
                _ = async { while let Ok(k) = sock.read(&mut buf).await { if k == 0 { break; } } } => {}
            }
        }));
    }
    drop(opened_tx);
    let started = Instant::now();
    let (mut open, mut failed) = (0usize, 0usize);
    while open + failed < n {
        match tokio::time::timeout(Duration::from_secs(60), opened_rx.recv()).await {
            Ok(Some(true)) => open += 1,
            Ok(Some(false)) => failed += 1,
            _ => break,
        }
    }
    let open_after = started.elapsed();
    let mut peak = rss_kib(pid);
    let hold_until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < hold_until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        peak = peak.max(rss_kib(pid));
    }
    let at_end = rss_kib(pid);
    release.notify_waiters();
    for task in tasks {
        task.abort();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "{}",
        json!({
            "streams_requested": n,
            "streams_open": open,
            "streams_failed": failed,
            "all_open_after_ms": open_after.as_millis() as u64,
            "rss_kib_before": rss_before,
            "rss_kib_peak": peak,
            "rss_kib_held": at_end,
            "rss_kib_after_close": rss_kib(pid),
        })
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: streamprobe ttfb URL BODY [N] [BEARER] | hold URL BODY N SECS PID [BEARER]";
    match args.get(1).map(String::as_str) {
        Some("ttfb") if args.len() >= 4 => {
            let n = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(300);
            ttfb(target(&args[2], &args[3], args.get(5).map(String::as_str)), n).await;
        }
        Some("hold") if args.len() >= 7 => {
            let t = target(&args[2], &args[3], args.get(7).map(String::as_str));
            hold(
                t,
                args[4].parse().expect("N"),
                args[5].parse().expect("SECS"),
                args[6].parse().expect("PID"),
            )
            .await;
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
