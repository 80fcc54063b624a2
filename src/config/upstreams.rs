//! `[upstreams.NAME]`: OpenAI-compatible servers, their keys (read from the environment here,
//! and kept in a [`Secret`] that never prints), timeouts, connection pools, the HTTP version and
//! extra trusted CAs (their file is read here).

use super::{ConfigErrors, ConfigSource, EnvSource, HumanDuration};
use http::Uri;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// A secret value (an upstream API key). Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub base_url: String,
    /// The name of the environment variable holding the key (never the key itself).
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: HumanDuration,
    #[serde(default = "default_request_timeout")]
    pub request_timeout: HumanDuration,
    #[serde(default = "default_stream_idle_timeout")]
    pub stream_idle_timeout: HumanDuration,
    #[serde(default = "default_stream_total_timeout")]
    pub stream_total_timeout: HumanDuration,
    #[serde(default = "default_pool_idle_timeout")]
    pub pool_idle_timeout: HumanDuration,
    #[serde(default = "default_pool_max_idle")]
    pub pool_max_idle_per_host: usize,
    /// The API dialect the upstream speaks for `POST /v1/responses`.
    #[serde(default)]
    pub api: UpstreamApi,
    /// Which HTTP version to speak to the upstream.
    #[serde(default)]
    pub http2: UpstreamHttp2,
    /// A PEM file of CA certificates trusted for this upstream's TLS, besides the public roots
    /// (an upstream behind a private CA).
    #[serde(default)]
    pub ca_file: Option<String>,
}

/// Whether the gateway speaks HTTP/2 to an upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamHttp2 {
    /// `https`: HTTP/2 when the upstream offers it in ALPN, else HTTP/1.1; `http`: HTTP/1.1.
    #[default]
    Auto,
    /// HTTP/2 without negotiation: h2c with prior knowledge on `http`, ALPN `h2` only on `https`.
    PriorKnowledge,
    /// HTTP/1.1 only.
    Off,
}

/// What an upstream is sent for a Responses request: the request as is (`responses`), or the
/// request translated to Chat Completions and its answer translated back (`chat`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamApi {
    #[default]
    Chat,
    Responses,
}

fn default_connect_timeout() -> HumanDuration {
    HumanDuration::secs(5)
}
fn default_request_timeout() -> HumanDuration {
    HumanDuration::secs(600)
}
fn default_stream_idle_timeout() -> HumanDuration {
    HumanDuration::secs(120)
}
fn default_stream_total_timeout() -> HumanDuration {
    HumanDuration::secs(30 * 60)
}
fn default_pool_idle_timeout() -> HumanDuration {
    HumanDuration::secs(90)
}
fn default_pool_max_idle() -> usize {
    64
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamConfig {
    pub name: String,
    /// Base URL without a trailing slash, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub stream_idle_timeout: Duration,
    pub stream_total_timeout: Duration,
    pub pool_idle_timeout: Duration,
    pub pool_max_idle_per_host: usize,
    pub api: UpstreamApi,
    pub http2: UpstreamHttp2,
    /// The DER certificates of `ca_file`, read and checked here; trusted besides the public roots.
    pub extra_roots: Vec<Vec<u8>>,
}

/// The certificates of a PEM file (at least one), DER-encoded.
fn read_roots(path: &str) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {path:?}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{path:?} is not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path:?} holds no PEM certificate"));
    }
    Ok(certs)
}

pub(super) fn validate(
    errs: &mut ConfigErrors,
    raw: BTreeMap<String, RawUpstream>,
    source: &ConfigSource,
    env: &dyn EnvSource,
) -> BTreeMap<String, UpstreamConfig> {
    let mut upstreams = BTreeMap::new();
    for (name, u) in raw {
        let p = format!("upstreams.{name}");
        let base_url = u.base_url.trim_end_matches('/').to_string();
        match base_url.parse::<Uri>() {
            Ok(uri) if matches!(uri.scheme_str(), Some("http") | Some("https")) && uri.host().is_some() => {}
            _ => errs.push(
                format!("{p}.base_url"),
                format!(
                    "invalid URL {:?}; expected http(s)://host[:port][/path]",
                    u.base_url
                ),
            ),
        }
        let api_key = match &u.api_key_env {
            None => None,
            Some(var) => match env.var(var) {
                Some(v) => Some(Secret::new(v)),
                // The embedded default falls back to the built-in simulator instead.
                None if *source == ConfigSource::Embedded => None,
                None => {
                    errs.push(
                        format!("{p}.api_key_env"),
                        format!("environment variable {var} is not set (remove api_key_env for upstreams that need no key)"),
                    );
                    None
                }
            },
        };
        let extra_roots = match &u.ca_file {
            None => Vec::new(),
            Some(path) => read_roots(path).unwrap_or_else(|e| {
                errs.push(format!("{p}.ca_file"), e);
                Vec::new()
            }),
        };
        let cfg = UpstreamConfig {
            name: name.clone(),
            base_url,
            api_key,
            connect_timeout: u.connect_timeout.into(),
            request_timeout: u.request_timeout.into(),
            stream_idle_timeout: u.stream_idle_timeout.into(),
            stream_total_timeout: u.stream_total_timeout.into(),
            pool_idle_timeout: u.pool_idle_timeout.into(),
            pool_max_idle_per_host: u.pool_max_idle_per_host,
            api: u.api,
            http2: u.http2,
            extra_roots,
        };
        upstreams.insert(name, cfg);
    }
    upstreams
}
