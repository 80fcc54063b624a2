//! `[server]`: the listener, request bounds, worker threads, timeouts and optional TLS files,
//! and the refusal to serve without client auth on a non-loopback address unless asked.

use super::{AuthMode, ConfigErrors, HumanDuration};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawServer {
    pub listen: String,
    pub max_body_bytes: u64,
    /// Largest request header block, as the sum of header names and values (431 above it).
    pub max_header_bytes: usize,
    /// Most request header fields (431 above it).
    pub max_headers: usize,
    /// Most messages accepted in one request.
    pub max_messages: usize,
    /// Connections served at once; more clients wait to be accepted.
    pub max_connections: usize,
    /// Worker threads (each a single-threaded runtime serving the connections dealt to it);
    /// 0 = one per CPU.
    pub workers: usize,
    /// Pin worker thread i to the i-th CPU the process may run on.
    pub pin_workers: bool,
    pub header_read_timeout: HumanDuration,
    /// The longest a client may take to send a whole request body (408 after it).
    pub body_read_timeout: HumanDuration,
    pub drain_timeout: HumanDuration,
    /// Serve without client auth (`auth.mode = "none"`) on an address that is not loopback.
    pub allow_unauthenticated: bool,
    pub tls: Option<RawTls>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 10 * 1024 * 1024,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            max_messages: 2048,
            max_connections: 10_000,
            workers: 0,
            pin_workers: false,
            header_read_timeout: HumanDuration::secs(30),
            body_read_timeout: HumanDuration::secs(30),
            drain_timeout: HumanDuration::secs(30),
            allow_unauthenticated: false,
            tls: None,
        }
    }
}

/// Default `max_header_bytes`: 64 KiB of header names and values, far above what any SDK sends,
/// and below hyper's former read-buffer bound (~400 KiB), which answered with an empty 431.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;
/// Default `max_headers`: hyper's former default bound on header fields.
pub const DEFAULT_MAX_HEADERS: usize = 100;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub cert: String,
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub max_body_bytes: usize,
    /// Largest request header block (sum of names and values); checked by the stack, below
    /// hyper's own ceiling [`crate::server::MAX_HEAD_BYTES`].
    pub max_header_bytes: usize,
    /// Most request header fields; checked by the stack, at most hyper's own
    /// [`crate::server::MAX_HEADER_FIELDS`].
    pub max_headers: usize,
    pub max_messages: usize,
    pub max_connections: usize,
    /// Worker threads, resolved (`workers = 0` in the file: one per CPU).
    pub workers: usize,
    /// Pin worker thread i to the i-th CPU of the process's affinity mask (wrapping around).
    pub pin_workers: bool,
    pub header_read_timeout: Duration,
    /// Bound on reading a whole request body, from the handler's first read: a client that
    /// trickles its body cannot hold a connection (and its slot under `max_connections`) longer.
    pub body_read_timeout: Duration,
    pub drain_timeout: Duration,
    /// Serving without client auth on a non-loopback address was asked for explicitly.
    pub allow_unauthenticated: bool,
    pub tls: Option<TlsFiles>,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub(super) fn validate(errs: &mut ConfigErrors, raw: RawServer) -> ServerConfig {
    let listen = match raw.listen.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => {
            errs.push(
                "server.listen",
                format!(
                    "invalid socket address {:?}; use e.g. \"127.0.0.1:8080\"",
                    raw.listen
                ),
            );
            SocketAddr::from(([127, 0, 0, 1], 8080))
        }
    };
    if raw.max_body_bytes == 0 {
        errs.push("server.max_body_bytes", "must be greater than 0");
    }
    // The stack can only see what hyper let through: a limit at or above hyper's own ceiling
    // would never be the one that answers.
    let head_ceiling = crate::server::MAX_HEAD_BYTES / 2;
    if raw.max_header_bytes == 0 || raw.max_header_bytes > head_ceiling {
        errs.push(
            "server.max_header_bytes",
            format!(
                "must be between 1 and {head_ceiling} (half of the server's fixed ceiling on a request head)"
            ),
        );
    }
    if raw.max_headers == 0 || raw.max_headers > crate::server::MAX_HEADER_FIELDS {
        errs.push(
            "server.max_headers",
            format!(
                "must be between 1 and {} (the server's fixed ceiling on header fields)",
                crate::server::MAX_HEADER_FIELDS
            ),
        );
    }
    let tls = raw.tls.map(|t| {
        for (field, p) in [("cert", &t.cert), ("key", &t.key)] {
            if !Path::new(p).is_file() {
                errs.push(
                    format!("server.tls.{field}"),
                    format!("file {p:?} does not exist"),
                );
            }
        }
        TlsFiles {
            cert: PathBuf::from(t.cert),
            key: PathBuf::from(t.key),
        }
    });
    ServerConfig {
        listen,
        max_body_bytes: usize::try_from(raw.max_body_bytes).unwrap_or(usize::MAX),
        max_header_bytes: raw.max_header_bytes,
        max_headers: raw.max_headers,
        max_messages: raw.max_messages.max(1),
        max_connections: raw.max_connections.max(1),
        workers: match raw.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n.min(1024),
        },
        pin_workers: raw.pin_workers,
        header_read_timeout: raw.header_read_timeout.into(),
        body_read_timeout: raw.body_read_timeout.into(),
        drain_timeout: raw.drain_timeout.into(),
        allow_unauthenticated: raw.allow_unauthenticated,
        tls,
    }
}

/// Is `addr` reachable only from this machine? (127.0.0.0/8, `::1`, and `::ffff:127.x`.)
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// No open relay by accident: without client auth the gateway serves anyone who can reach it on
/// the operator's upstream keys, so `auth.mode = "none"` is refused on an address that is not
/// loopback unless `server.allow_unauthenticated` says it is meant.
pub(super) fn check_exposure(errs: &mut ConfigErrors, server: &ServerConfig, auth: AuthMode) {
    if let Some(why) = exposure_problem(server, auth) {
        errs.push("auth.mode", why);
    }
}

/// Why `auth` on `server` would be an open relay, if it would: for start-up, and for a reload,
/// which is checked against the address actually bound.
pub fn exposure_problem(server: &ServerConfig, auth: AuthMode) -> Option<String> {
    (auth == AuthMode::None && !is_loopback(&server.listen) && !server.allow_unauthenticated).then(|| {
        format!(
            "is \"none\" while server.listen is {}, which is not a loopback address: anyone \
                 who can reach it would be served on your upstream keys. Turn client auth on \
                 (auth.mode = \"keys\" with [[teams.NAME.keys]], or auth.key_env naming a variable \
                 that holds a key, e.g. GEARBOX_CLIENT_KEY), listen on 127.0.0.1, or set \
                 server.allow_unauthenticated = true if an open gateway is what you want",
            server.listen
        )
    })
}
