//! The access log: one line per request, target `gearbox::access`, level INFO.
//!
//! In JSON format the line is written straight to stderr by the small formatter below instead of
//! through `tracing-subscriber`'s JSON formatter, which cost ~30,000 instructions per line
//! (callgrind over 2,000 requests: 10 % of all the gateway's instructions). The line has the
//! shape `tracing-subscriber` gives it (`timestamp`, `level`, `message`, the fields, `target`),
//! obeys the same filter (`RUST_LOG` / `GEARBOX_LOG` / `[log] level`, checked through `tracing`),
//! and lines are written whole on locked stderr, so they never interleave with other lines.
//!
//! Direct lines are written in batches, as nginx's `access_log ... buffer= flush=` does: each
//! thread keeps its lines until they fill [`FLUSH_BYTES`] or [`FLUSH_AFTER`] has passed since the
//! first of them (a timer task on the thread's own runtime), and a thread writes what it holds
//! when it exits; `serve` flushes the main thread's lines after the drain. One `write` per batch
//! instead of one per request was ~8 % more throughput at 16 connections. A gateway killed with
//! SIGKILL loses at most the last [`FLUSH_AFTER`] of access lines; SIGTERM loses none. Other log
//! events are written at once, so an access line can follow a later warning by up to that delay,
//! and lines of different worker threads can be out of order by as much: sort by `timestamp`.
//!
//! In text format, and whenever the binary has not switched the direct writer on (tests,
//! embedding), the line goes through `tracing` as any other event.

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest an access line waits in its thread's buffer.
pub const FLUSH_AFTER: Duration = Duration::from_millis(50);
/// A thread's buffered lines are written once they reach this size.
pub const FLUSH_BYTES: usize = 32 * 1024;

static DIRECT_JSON: AtomicBool = AtomicBool::new(false);

/// Write access lines as JSON straight to stderr (the binary calls this when it installs the
/// JSON log format).
pub fn write_json_directly(on: bool) {
    DIRECT_JSON.store(on, Ordering::Relaxed);
}

/// One request, as logged. Holds no prompt text and no secrets: identifiers, labels and numbers.
pub struct Line<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub endpoint: &'a str,
    pub status: u16,
    pub team: &'a str,
    pub route: &'a str,
    pub model: &'a str,
    pub cache: &'a str,
    pub rewritten: bool,
    pub error: &'a str,
    pub latency_ms: f64,
    pub upstream_ms: f64,
    pub overhead_ms: f64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub complete: bool,
    /// The request's trace id (32 hex digits) when traces are exported (`[tracing]`); the
    /// field is left out otherwise.
    pub trace_id: Option<&'a str>,
}

/// Log `line` if the filter lets `gearbox::access` INFO through.
pub fn emit(line: &Line<'_>) {
    if !tracing::enabled!(target: "gearbox::access", tracing::Level::INFO) {
        return;
    }
    if !DIRECT_JSON.load(Ordering::Relaxed) {
        tracing::info!(
            target: "gearbox::access",
            request_id = line.request_id,
            method = line.method,
            endpoint = line.endpoint,
            status = line.status,
            team = line.team,
            route = line.route,
            model = line.model,
            cache = line.cache,
            rewritten = line.rewritten,
            error = line.error,
            latency_ms = line.latency_ms,
            upstream_ms = line.upstream_ms,
            overhead_ms = line.overhead_ms,
            prompt_tokens = line.prompt_tokens,
            completion_tokens = line.completion_tokens,
            complete = line.complete,
            trace_id = line.trace_id,
            "request"
        );
        return;
    }
    PENDING.with(|p| {
        let Ok(mut p) = p.try_borrow_mut() else {
            return;
        };
        write_json(&mut p.buf, line, SystemTime::now());
        if p.buf.len() >= FLUSH_BYTES {
            p.write_out();
        } else if !p.timer_armed {
            // A timer on this thread's own runtime flushes this thread's buffer; with no such
            // runtime (or a multi-threaded one, whose task could run elsewhere) write at once.
            match tokio::runtime::Handle::try_current() {
                Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread => {
                    p.timer_armed = true;
                    h.spawn(async {
                        tokio::time::sleep(FLUSH_AFTER).await;
                        flush();
                    });
                }
                _ => p.write_out(),
            }
        }
    });
}

/// Write this thread's buffered access lines now.
pub fn flush() {
    PENDING.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.write_out();
        }
    });
}

thread_local! {
    static PENDING: RefCell<Pending> = RefCell::new(Pending {
        buf: Vec::with_capacity(FLUSH_BYTES + 1024),
        timer_armed: false,
    });
}

/// A thread's access lines not yet written.
struct Pending {
    buf: Vec<u8>,
    timer_armed: bool,
}

impl Pending {
    fn write_out(&mut self) {
        self.timer_armed = false;
        if self.buf.is_empty() {
            return;
        }
        // A failed write to stderr has nowhere better to be reported.
        let _ = std::io::stderr().lock().write_all(&self.buf);
        self.buf.clear();
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.write_out();
    }
}

/// The JSON line for `line` at time `now`, newline-terminated.
pub fn write_json(out: &mut Vec<u8>, line: &Line<'_>, now: SystemTime) {
    out.extend_from_slice(b"{\"timestamp\":\"");
    rfc3339_micros(out, now);
    out.extend_from_slice(b"\",\"level\":\"INFO\",\"message\":\"request\"");
    string(out, "request_id", line.request_id);
    string(out, "method", line.method);
    string(out, "endpoint", line.endpoint);
    int(out, "status", u64::from(line.status));
    string(out, "team", line.team);
    string(out, "route", line.route);
    string(out, "model", line.model);
    string(out, "cache", line.cache);
    boolean(out, "rewritten", line.rewritten);
    string(out, "error", line.error);
    float(out, "latency_ms", line.latency_ms);
    float(out, "upstream_ms", line.upstream_ms);
    float(out, "overhead_ms", line.overhead_ms);
    int(out, "prompt_tokens", line.prompt_tokens);
    int(out, "completion_tokens", line.completion_tokens);
    boolean(out, "complete", line.complete);
    if let Some(t) = line.trace_id {
        string(out, "trace_id", t);
    }
    string(out, "target", "gearbox::access");
    out.extend_from_slice(b"}\n");
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn string(out: &mut Vec<u8>, k: &str, v: &str) {
    key(out, k);
    out.push(b'"');
    let bytes = v.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if esc.is_empty() {
            let _ = write!(out, "\\u{c:04x}");
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

fn int(out: &mut Vec<u8>, k: &str, v: u64) {
    key(out, k);
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn float(out: &mut Vec<u8>, k: &str, v: f64) {
    key(out, k);
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

fn boolean(out: &mut Vec<u8>, k: &str, v: bool) {
    key(out, k);
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// `2026-12-06T09:05:43.839239Z`, as `tracing-subscriber` writes its timestamps (digits written
/// directly: `fmt` machinery would be a third of the line's cost).
fn rfc3339_micros(out: &mut Vec<u8>, now: SystemTime) {
    let d = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = crate::clock::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    digits(out, y.clamp(0, 9999) as u64, 4);
    out.push(b'-');
    digits(out, u64::from(m), 2);
    out.push(b'-');
    digits(out, u64::from(day), 2);
    out.push(b'T');
    digits(out, rem / 3600, 2);
    out.push(b':');
    digits(out, rem % 3600 / 60, 2);
    out.push(b':');
    digits(out, rem % 60, 2);
    out.push(b'.');
    digits(out, u64::from(d.subsec_micros()), 6);
    out.push(b'Z');
}

/// `v` in exactly `width` decimal digits (zero-padded; higher digits dropped).
fn digits(out: &mut Vec<u8>, mut v: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out.iter_mut().skip(start).rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(request_id: &'a str) -> Line<'a> {
        Line {
            request_id,
            method: "POST",
            endpoint: "chat_completions",
            status: 200,
            team: "alpha",
            route: "reasoning",
            model: "o3-mini",
            cache: "bypass",
            rewritten: true,
            error: "-",
            latency_ms: 5120.762677,
            upstream_ms: 7.2075819999999995,
            overhead_ms: 0.000001,
            prompt_tokens: 123,
            completion_tokens: 0,
            complete: false,
            trace_id: None,
        }
    }

    #[test]
    fn the_line_is_json_with_tracing_subscribers_shape() {
        let mut out = Vec::new();
        let at = UNIX_EPOCH + Duration::from_micros(1_796_547_943_839_239);
        write_json(&mut out, &line("req-1"), at);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n") && text.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["timestamp"], "2026-12-06T09:05:43.839239Z");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["message"], "request");
        assert_eq!(v["target"], "gearbox::access");
        assert_eq!(v["request_id"], "req-1");
        assert_eq!(v["status"], 200);
        assert_eq!(v["rewritten"], true);
        assert_eq!(v["complete"], false);
        assert_eq!(v["prompt_tokens"], 123);
        assert_eq!(v["latency_ms"], 5120.762677);
        assert_eq!(v["upstream_ms"], 7.2075819999999995);
        assert_eq!(v["overhead_ms"], 0.000001);
        // The same keys, in the same order, as tracing-subscriber's flattened JSON event.
        let keys: Vec<&str> = text
            .split(",\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "level",
                "message",
                "request_id",
                "method",
                "endpoint",
                "status",
                "team",
                "route",
                "model",
                "cache",
                "rewritten",
                "error",
                "latency_ms",
                "upstream_ms",
                "overhead_ms",
                "prompt_tokens",
                "completion_tokens",
                "complete",
                "target"
            ]
        );
    }

    #[test]
    fn the_trace_id_is_a_field_only_when_traces_are_exported() {
        let mut out = Vec::new();
        write_json(&mut out, &line("r"), UNIX_EPOCH);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(v.get("trace_id").is_none());
        let mut out = Vec::new();
        let traced = Line {
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736"),
            ..line("r")
        };
        write_json(&mut out, &traced, UNIX_EPOCH);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(v["target"], "gearbox::access");
    }

    #[test]
    fn client_supplied_text_is_escaped() {
        let mut out = Vec::new();
        let id = "a\"b\\c\nd\u{1}e é";
        write_json(&mut out, &line(id), UNIX_EPOCH);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["request_id"], id);
        assert_eq!(v["timestamp"], "1970-01-01T00:00:00.000000Z");
    }
}
