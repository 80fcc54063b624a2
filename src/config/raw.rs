//! Raw configuration shapes: exactly what figment extracts from TOML and `GEARBOX_*` variables.
//!
//! Invariant: unknown keys are errors (`deny_unknown_fields`), so a typo never silently falls
//! back to a default. Nothing here is trusted until `config::validate` has checked it.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub auth: RawAuth,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub upstreams: BTreeMap<String, RawUpstream>,
    #[serde(default)]
    pub models: BTreeMap<String, RawModel>,
    #[serde(default)]
    pub teams: BTreeMap<String, RawTeam>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawServer {
    pub listen: String,
    pub max_body_bytes: u64,
    pub header_read_timeout: String,
    pub drain_timeout: String,
    pub tls: Option<RawTls>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 10 * 1024 * 1024,
            header_read_timeout: "30s".into(),
            drain_timeout: "30s".into(),
            tls: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub cert: String,
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAuth {
    pub mode: String,
}

impl Default for RawAuth {
    fn default() -> Self {
        RawAuth {
            mode: "keys".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub format: String,
    pub level: String,
    /// Debug switch: allow prompt text in logs. Off unless set explicitly.
    pub include_content: bool,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "text".into(),
            level: "info".into(),
            include_content: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub base_url: String,
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: String,
    #[serde(default = "default_request_timeout")]
    pub request_timeout: String,
    #[serde(default = "default_stream_idle_timeout")]
    pub stream_idle_timeout: String,
    #[serde(default = "default_pool_idle_timeout")]
    pub pool_idle_timeout: String,
    #[serde(default = "default_pool_max_idle")]
    pub pool_max_idle_per_host: usize,
}

fn default_connect_timeout() -> String {
    "5s".into()
}
fn default_request_timeout() -> String {
    "600s".into()
}
fn default_stream_idle_timeout() -> String {
    "120s".into()
}
fn default_pool_idle_timeout() -> String {
    "90s".into()
}
fn default_pool_max_idle() -> usize {
    64
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub upstream: String,
    /// The model name sent upstream; defaults to the public name.
    #[serde(default)]
    pub name: Option<String>,
    /// `chat` | `reasoning` | `embedding`.
    #[serde(default = "default_kind")]
    pub kind: String,
}

fn default_kind() -> String {
    "chat".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    #[serde(default)]
    pub keys: Vec<RawKey>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKey {
    /// Hex SHA-256 of the gateway key (`printf %s "$KEY" | sha256sum`).
    pub sha256: String,
    #[serde(default)]
    pub label: Option<String>,
}
