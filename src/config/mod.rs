//! Configuration: figment layers (embedded defaults or a TOML file, then `GEARBOX_*` variables)
//! extracted into [`raw`] shapes and validated into a [`Config`] that holds only checked,
//! compiled values.
//!
//! Invariants: this is the only module that reads files or environment variables; validation
//! reports every problem with its dotted path before anything binds a port; secrets live in
//! [`Secret`], which never prints.

pub mod raw;

use crate::classify::RouterModel;
use crate::policy::{
    Budget, CachePolicy, Limits, OnBudget, Policy, ReasoningPolicy, RoutingMode, UnsupportedParams,
};
use figment::providers::{Format, Toml};
use figment::Figment;
use http::Uri;
use raw::{RawConfig, RawPolicy};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The configuration used when no file is given: OpenAI as upstream, `gpt-4o-mini` for chat and
/// `o3-mini` for reasoning, no client auth on loopback.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../config/default.toml");

/// The router model trained by `gearbox train` on the public corpus plus `data/router/`.
pub const EMBEDDED_ROUTER_MODEL: &[u8] = include_bytes!("../../config/router.bin");

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

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    Embedded,
    File(PathBuf),
}

/// A validated configuration snapshot.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: ConfigSource,
    pub server: ServerConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub upstreams: BTreeMap<String, UpstreamConfig>,
    pub models: BTreeMap<String, ModelConfig>,
    pub teams: BTreeMap<String, TeamConfig>,
    /// The policy of teams that set none (and of every request when `auth.mode = "none"`).
    pub default_policy: Arc<Policy>,
    /// The router model: `router.model_file` when set, else the compiled-in one.
    pub router_model: Arc<RouterModel>,
    pub cache: CacheConfig,
    pub redis: Option<RedisConfig>,
    pub resilience: ResilienceConfig,
    /// Replicas sharing limits (the divisor for local limits when Redis is unreachable).
    pub replicas: u32,
    /// Completion tokens reserved for a chat request without a completion cap
    /// (`[limits] completion_estimate`).
    pub completion_estimate: u64,
    /// Configured reasoning-model profiles (see `rewrite::resolve_profile`).
    pub reasoning_profiles: Vec<crate::rewrite::ModelProfile>,
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub max_bytes: u64,
    /// Use the shared Redis (when configured) as a second tier.
    pub shared: bool,
    pub coalesce_timeout: Duration,
}

/// The shared Redis server, when configured.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisConfig {
    pub url: String,
    pub timeout: Duration,
}

impl Config {
    /// The effective policy of a team.
    pub fn policy_for(&self, team: &str) -> &Arc<Policy> {
        self.teams.get(team).map_or(&self.default_policy, |t| &t.policy)
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub max_body_bytes: usize,
    pub max_messages: usize,
    pub max_connections: usize,
    /// Worker threads, resolved (`workers = 0` in the file: one per CPU).
    pub workers: usize,
    /// Pin worker thread i to the i-th CPU of the process's affinity mask (wrapping around).
    pub pin_workers: bool,
    pub header_read_timeout: Duration,
    pub drain_timeout: Duration,
    pub tls: Option<TlsFiles>,
}

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Bearer keys checked against configured SHA-256 hashes.
    Keys,
    /// No client auth; every request belongs to team `default`. For local use.
    None,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub mode: AuthMode,
    /// SHA-256 of a key -> the team it belongs to.
    pub keys: HashMap<[u8; 32], KeyEntry>,
}

#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub team: Arc<str>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
    pub include_content: bool,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Chat,
    Reasoning,
    Embedding,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Chat => "chat",
            ModelKind::Reasoning => "reasoning",
            ModelKind::Embedding => "embedding",
        }
    }
}

/// USD per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cached_input: f64,
}

impl Price {
    /// Estimated cost in USD of `usage` at this price (reasoning tokens are completion tokens).
    pub fn cost(&self, usage: &crate::api::Usage) -> f64 {
        let cached = usage
            .prompt_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens)
            .min(usage.prompt_tokens);
        let fresh = usage.prompt_tokens - cached;
        (fresh as f64 * self.input
            + cached as f64 * self.cached_input
            + usage.completion_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

/// One place a model is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub upstream: String,
    pub upstream_model: String,
}

/// Retries, backoff, retry budget, circuit breaking.
#[derive(Debug, Clone, PartialEq)]
pub struct ResilienceConfig {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub retry_budget: f64,
    pub circuit_failures: u32,
    pub circuit_cooldown: Duration,
}

#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The name clients use.
    pub public_name: String,
    pub upstream: String,
    /// The name sent upstream.
    pub upstream_model: String,
    pub kind: ModelKind,
    /// `None` when the config sets no price: cost metrics skip the model.
    pub price: Option<Price>,
    /// `Some(false)`: no native structured outputs; `None`: chat models have them, reasoning
    /// models follow their capability profile.
    pub structured_outputs: Option<bool>,
    /// Every deployment, the primary (`upstream`, `upstream_model`) first.
    pub deployments: Vec<Deployment>,
}

#[derive(Debug, Clone)]
pub struct TeamConfig {
    pub id: String,
    pub policy: Arc<Policy>,
}

/// Every problem found in a configuration, each with its dotted path.
#[derive(Debug, Default)]
pub struct ConfigErrors(pub Vec<(String, String)>);

impl ConfigErrors {
    fn push(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.0.push((path.into(), msg.into()));
    }
}

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (path, msg) in &self.0 {
            writeln!(f, "  - {path}: {msg}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A source of environment variables, so tests can validate without touching the process env.
pub trait EnvSource {
    fn var(&self, name: &str) -> Option<String>;
    /// All variables starting with `GEARBOX_`.
    fn gearbox_vars(&self) -> Vec<(String, String)>;
}

/// The real process environment.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn gearbox_vars(&self) -> Vec<(String, String)> {
        std::env::vars()
            .filter(|(k, _)| k.starts_with("GEARBOX_"))
            .collect()
    }
}

/// A fixed map of variables (tests).
impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.is_empty())
    }
    fn gearbox_vars(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .iter()
            .filter(|(k, _)| k.starts_with("GEARBOX_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort();
        v
    }
}

/// Variables that configure the process, not the config tree.
const NON_TREE_VARS: &[&str] = &["GEARBOX_CONFIG", "GEARBOX_LOG", "GEARBOX_MOCK_API_KEY"];

/// Load and validate: the file at `path` (or the embedded default), then `GEARBOX_*` overrides
/// (`__` separates levels: `GEARBOX_SERVER__LISTEN=0.0.0.0:8080`).
pub fn load(path: Option<&Path>, env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                let mut errs = ConfigErrors::default();
                errs.push(p.display().to_string(), format!("cannot read file: {e}"));
                errs
            })?;
            load_str(&text, ConfigSource::File(p.to_path_buf()), env)
        }
        None => load_str(EMBEDDED_DEFAULT, ConfigSource::Embedded, env),
    }
}

/// Load and validate configuration text as if it came from `source`.
pub fn load_str(text: &str, source: ConfigSource, env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
    let figment = Figment::from(Toml::string(text));
    // figment's Env provider reads the process environment; to keep `load` testable with a fake
    // environment, the variables come from `env` and are parsed like figment's (TOML scalars,
    // else strings), with `__` separating levels.
    let figment = figment.merge(env_provider(env));
    let raw: RawConfig = figment.extract().map_err(|e| {
        let mut errs = ConfigErrors::default();
        for err in e {
            let path = if err.path.is_empty() {
                "(root)".to_string()
            } else {
                err.path.join(".")
            };
            errs.push(path, err.kind.to_string());
        }
        errs
    })?;
    validate(raw, source, env)
}

fn env_provider(env: &dyn EnvSource) -> figment::providers::Serialized<BTreeMap<String, toml::Value>> {
    // Build a nested map from GEARBOX_A__B=value, parsing values like figment's Env does
    // (TOML scalars, falling back to strings).
    let mut root: BTreeMap<String, toml::Value> = BTreeMap::new();
    for (k, v) in env.gearbox_vars() {
        if NON_TREE_VARS.contains(&k.as_str()) {
            continue;
        }
        let Some(rest) = k.strip_prefix("GEARBOX_") else {
            continue;
        };
        let parts: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        insert_path(&mut root, &parts, parse_env_value(&v));
    }
    figment::providers::Serialized::defaults(root)
}

fn parse_env_value(v: &str) -> toml::Value {
    let probe = format!("x = {v}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("x")
            .unwrap_or_else(|| toml::Value::String(v.to_string())),
        Err(_) => toml::Value::String(v.to_string()),
    }
}

fn insert_path(map: &mut BTreeMap<String, toml::Value>, parts: &[String], value: toml::Value) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return;
    }
    let entry = map
        .entry(first.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    if let toml::Value::Table(t) = entry {
        let mut inner: BTreeMap<String, toml::Value> = std::mem::take(t).into_iter().collect();
        insert_path(&mut inner, rest, value);
        *t = inner.into_iter().collect();
    }
}

fn parse_duration(errs: &mut ConfigErrors, path: &str, s: &str) -> Duration {
    match humantime::parse_duration(s) {
        Ok(d) => d,
        Err(e) => {
            errs.push(
                path,
                format!("invalid duration {s:?} ({e}); use e.g. \"5s\", \"250ms\", \"2m\""),
            );
            Duration::ZERO
        }
    }
}

/// Check every field of a raw config, collecting all problems.
pub fn validate(raw: RawConfig, source: ConfigSource, env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
    let mut errs = ConfigErrors::default();

    let listen = match raw.server.listen.parse::<SocketAddr>() {
        Ok(a) => a,
        Err(_) => {
            errs.push(
                "server.listen",
                format!(
                    "invalid socket address {:?}; use e.g. \"127.0.0.1:8080\"",
                    raw.server.listen
                ),
            );
            SocketAddr::from(([127, 0, 0, 1], 8080))
        }
    };
    if raw.server.max_body_bytes == 0 {
        errs.push("server.max_body_bytes", "must be greater than 0");
    }
    let header_read_timeout = parse_duration(
        &mut errs,
        "server.header_read_timeout",
        &raw.server.header_read_timeout,
    );
    let drain_timeout = parse_duration(&mut errs, "server.drain_timeout", &raw.server.drain_timeout);
    let tls = raw.server.tls.map(|t| {
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

    let mode = match raw.auth.mode.as_str() {
        "keys" => AuthMode::Keys,
        "none" => AuthMode::None,
        other => {
            errs.push(
                "auth.mode",
                format!("unknown mode {other:?}; expected \"keys\" or \"none\""),
            );
            AuthMode::Keys
        }
    };

    let format = match raw.log.format.as_str() {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            errs.push(
                "log.format",
                format!("unknown format {other:?}; expected \"text\" or \"json\""),
            );
            LogFormat::Text
        }
    };

    let mut upstreams = BTreeMap::new();
    for (name, u) in raw.upstreams {
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
                None if source == ConfigSource::Embedded => None,
                None => {
                    errs.push(
                        format!("{p}.api_key_env"),
                        format!("environment variable {var} is not set (remove api_key_env for upstreams that need no key)"),
                    );
                    None
                }
            },
        };
        let cfg = UpstreamConfig {
            name: name.clone(),
            base_url,
            api_key,
            connect_timeout: parse_duration(&mut errs, &format!("{p}.connect_timeout"), &u.connect_timeout),
            request_timeout: parse_duration(&mut errs, &format!("{p}.request_timeout"), &u.request_timeout),
            stream_idle_timeout: parse_duration(
                &mut errs,
                &format!("{p}.stream_idle_timeout"),
                &u.stream_idle_timeout,
            ),
            stream_total_timeout: parse_duration(
                &mut errs,
                &format!("{p}.stream_total_timeout"),
                &u.stream_total_timeout,
            ),
            pool_idle_timeout: parse_duration(
                &mut errs,
                &format!("{p}.pool_idle_timeout"),
                &u.pool_idle_timeout,
            ),
            pool_max_idle_per_host: u.pool_max_idle_per_host,
        };
        upstreams.insert(name, cfg);
    }

    let mut models = BTreeMap::new();
    for (name, m) in raw.models {
        let p = format!("models.{name}");
        let default_name = m.name.clone().unwrap_or_else(|| name.clone());
        let mut deployments = Vec::new();
        match (&m.upstream, m.deployments.is_empty()) {
            (Some(u), true) => deployments.push((
                format!("{p}.upstream"),
                Deployment {
                    upstream: u.clone(),
                    upstream_model: default_name.clone(),
                },
            )),
            (None, false) => {
                for (i, d) in m.deployments.iter().enumerate() {
                    deployments.push((
                        format!("{p}.deployments[{i}].upstream"),
                        Deployment {
                            upstream: d.upstream.clone(),
                            upstream_model: d.name.clone().unwrap_or_else(|| default_name.clone()),
                        },
                    ));
                }
            }
            (Some(_), false) => errs.push(p.clone(), "set either `upstream` or `deployments`, not both"),
            (None, true) => errs.push(
                format!("{p}.upstream"),
                "missing: set `upstream` (or `deployments`)",
            ),
        }
        for (path, d) in &deployments {
            if !upstreams.contains_key(&d.upstream) {
                errs.push(
                    path.clone(),
                    format!(
                        "unknown upstream {:?}; declared upstreams: {:?}",
                        d.upstream,
                        upstreams.keys().collect::<Vec<_>>()
                    ),
                );
            }
        }
        let deployments: Vec<Deployment> = deployments.into_iter().map(|(_, d)| d).collect();
        let primary = deployments.first().cloned().unwrap_or(Deployment {
            upstream: String::new(),
            upstream_model: default_name.clone(),
        });
        let kind = match m.kind.as_str() {
            "chat" => ModelKind::Chat,
            "reasoning" => ModelKind::Reasoning,
            "embedding" => ModelKind::Embedding,
            other => {
                errs.push(
                    format!("{p}.kind"),
                    format!("unknown kind {other:?}; expected chat, reasoning or embedding"),
                );
                ModelKind::Chat
            }
        };
        let price = m.price.map(|p| {
            for (field, v) in [
                ("input", p.input),
                ("output", p.output),
                ("cached_input", p.cached_input.unwrap_or(0.0)),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    errs.push(
                        format!("{p_}.price.{field}", p_ = p_path(&name)),
                        "must be a non-negative number (USD per million tokens)",
                    );
                }
            }
            Price {
                input: p.input,
                output: p.output,
                cached_input: p.cached_input.unwrap_or(p.input),
            }
        });
        models.insert(
            name.clone(),
            ModelConfig {
                upstream_model: primary.upstream_model,
                public_name: name,
                upstream: primary.upstream,
                kind,
                price,
                structured_outputs: m.structured_outputs,
                deployments,
            },
        );
    }

    let default_policy = Arc::new(validate_policy(&mut errs, "policy", &raw.policy, &models));
    let mut keys = HashMap::new();
    let mut teams = BTreeMap::new();
    for (team, t) in raw.teams {
        let policy = match &t.policy {
            Some(over) => Arc::new(validate_policy(
                &mut errs,
                &format!("teams.{team}.policy"),
                &merge_policy(&raw.policy, over),
                &models,
            )),
            None => default_policy.clone(),
        };
        let team_id: Arc<str> = Arc::from(team.as_str());
        for (i, k) in t.keys.into_iter().enumerate() {
            let p = format!("teams.{team}.keys[{i}].sha256");
            match decode_sha256(&k.sha256) {
                Some(h) => {
                    if keys
                        .insert(
                            h,
                            KeyEntry {
                                team: team_id.clone(),
                                label: k.label,
                            },
                        )
                        .is_some()
                    {
                        errs.push(p, "the same key hash is configured twice");
                    }
                }
                None => errs.push(p, "must be 64 hexadecimal characters (the SHA-256 of the key)"),
            }
        }
        teams.insert(team.clone(), TeamConfig { id: team, policy });
    }
    if mode == AuthMode::Keys && keys.is_empty() {
        errs.push(
            "auth.mode",
            "is \"keys\" but no team declares a key; add [[teams.NAME.keys]] sha256 = \"...\" or set auth.mode = \"none\"",
        );
    }

    for (i, p) in raw.reasoning_profiles.iter().enumerate() {
        if p.name.trim().is_empty() {
            errs.push(
                format!("reasoning_profiles[{i}].name"),
                "must be the model-name prefix the profile applies to",
            );
        }
    }
    let cache = CacheConfig {
        max_bytes: raw.cache.max_bytes,
        shared: raw.cache.shared,
        coalesce_timeout: parse_duration(&mut errs, "cache.coalesce_timeout", &raw.cache.coalesce_timeout),
    };
    let redis_timeout = parse_duration(&mut errs, "redis.timeout", &raw.redis.timeout);
    let redis = raw.redis.url.clone().map(|url| {
        if redis::Client::open(url.as_str()).is_err() {
            errs.push(
                "redis.url",
                format!("invalid Redis URL {url:?}; expected redis://host:port[/db]"),
            );
        }
        RedisConfig {
            url,
            timeout: redis_timeout,
        }
    });
    let r = &raw.resilience;
    let resilience = ResilienceConfig {
        max_attempts: r.max_attempts,
        backoff_base: parse_duration(&mut errs, "resilience.backoff_base", &r.backoff_base),
        backoff_max: parse_duration(&mut errs, "resilience.backoff_max", &r.backoff_max),
        retry_budget: r.retry_budget,
        circuit_failures: r.circuit_failures,
        circuit_cooldown: parse_duration(&mut errs, "resilience.circuit_cooldown", &r.circuit_cooldown),
    };
    if r.max_attempts == 0 {
        errs.push("resilience.max_attempts", "must be at least 1 (1 = no retries)");
    }
    if !(r.retry_budget.is_finite() && r.retry_budget >= 0.0) {
        errs.push(
            "resilience.retry_budget",
            "must be a fraction >= 0 (e.g. 0.2 = retries up to 20% of requests)",
        );
    }
    if r.circuit_failures == 0 {
        errs.push("resilience.circuit_failures", "must be at least 1");
    }
    if raw.limits.replicas == 0 {
        errs.push("limits.replicas", "must be at least 1");
    }
    let router_model = match &raw.router.model_file {
        None => match RouterModel::from_bytes(EMBEDDED_ROUTER_MODEL) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                errs.push(
                    "router",
                    format!("the compiled-in router model is invalid ({e}); this is a build bug"),
                );
                Arc::new(RouterModel::zeros(8))
            }
        },
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| RouterModel::from_bytes(&b).map_err(|e| e.to_string()))
        {
            Ok(m) => Arc::new(m),
            Err(e) => {
                errs.push(
                    "router.model_file",
                    format!("cannot load router model {path:?}: {e}"),
                );
                Arc::new(RouterModel::zeros(8))
            }
        },
    };
    if !errs.0.is_empty() {
        return Err(errs);
    }
    Ok(Config {
        source,
        server: ServerConfig {
            listen,
            max_body_bytes: usize::try_from(raw.server.max_body_bytes).unwrap_or(usize::MAX),
            max_messages: raw.server.max_messages.max(1),
            max_connections: raw.server.max_connections.max(1),
            workers: match raw.server.workers {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n.min(1024),
            },
            pin_workers: raw.server.pin_workers,
            header_read_timeout,
            drain_timeout,
            tls,
        },
        auth: AuthConfig { mode, keys },
        log: LogConfig {
            format,
            level: raw.log.level,
            include_content: raw.log.include_content,
        },
        upstreams,
        models,
        teams,
        default_policy,
        router_model,
        cache,
        redis,
        resilience,
        replicas: raw.limits.replicas.max(1),
        completion_estimate: raw.limits.completion_estimate,
        reasoning_profiles: raw.reasoning_profiles,
    })
}

/// A team's overrides applied field by field over the default policy.
fn merge_policy(base: &RawPolicy, over: &RawPolicy) -> RawPolicy {
    RawPolicy {
        mode: over.mode.clone().or_else(|| base.mode.clone()),
        routed_models: over.routed_models.clone().or_else(|| base.routed_models.clone()),
        chat_model: over.chat_model.clone().or_else(|| base.chat_model.clone()),
        reasoning_model: over
            .reasoning_model
            .clone()
            .or_else(|| base.reasoning_model.clone()),
        threshold: over.threshold.or(base.threshold),
        allow_override: over.allow_override.or(base.allow_override),
        reasoning: raw::RawReasoningPolicy {
            effort: over
                .reasoning
                .effort
                .clone()
                .or_else(|| base.reasoning.effort.clone()),
            rewrite: over.reasoning.rewrite.or(base.reasoning.rewrite),
            unsupported_params: over
                .reasoning
                .unsupported_params
                .clone()
                .or_else(|| base.reasoning.unsupported_params.clone()),
            min_completion_tokens: over
                .reasoning
                .min_completion_tokens
                .or(base.reasoning.min_completion_tokens),
        },
        cache: raw::RawCachePolicy {
            enabled: over.cache.enabled.or(base.cache.enabled),
            ttl: over.cache.ttl.clone().or_else(|| base.cache.ttl.clone()),
            namespace: over
                .cache
                .namespace
                .clone()
                .or_else(|| base.cache.namespace.clone()),
        },
        schema: raw::RawSchemaPolicy {
            max_repairs: over.schema.max_repairs.or(base.schema.max_repairs),
        },
        allowed_models: over
            .allowed_models
            .clone()
            .or_else(|| base.allowed_models.clone()),
        limits: raw::RawLimits {
            rpm: over.limits.rpm.or(base.limits.rpm),
            tpm: over.limits.tpm.or(base.limits.tpm),
            concurrency: over.limits.concurrency.or(base.limits.concurrency),
        },
        budget: raw::RawBudget {
            tokens_per_day: over.budget.tokens_per_day.or(base.budget.tokens_per_day),
            tokens_per_month: over.budget.tokens_per_month.or(base.budget.tokens_per_month),
            usd_per_day: over.budget.usd_per_day.or(base.budget.usd_per_day),
            usd_per_month: over.budget.usd_per_month.or(base.budget.usd_per_month),
            on_exceeded: over
                .budget
                .on_exceeded
                .clone()
                .or_else(|| base.budget.on_exceeded.clone()),
        },
    }
}

/// Defaults: mode `auto`, routed name `auto`, targets `gpt-4o-mini` / `o3-mini`, threshold 0.45,
/// overrides allowed, rewrite on, unsupported parameters dropped, at least 4096 completion tokens.
fn validate_policy(
    errs: &mut ConfigErrors,
    path: &str,
    raw: &RawPolicy,
    models: &BTreeMap<String, ModelConfig>,
) -> Policy {
    let mode = match raw.mode.as_deref() {
        None => RoutingMode::Auto,
        Some(m) => RoutingMode::parse(m).unwrap_or_else(|| {
            errs.push(
                format!("{path}.mode"),
                format!("unknown mode {m:?}; expected auto, chat, reasoning, passthrough or shadow"),
            );
            RoutingMode::Auto
        }),
    };
    let mut target = |field: &str, name: Option<&String>, default: &str, want: ModelKind| -> String {
        let name = name.cloned().unwrap_or_else(|| default.to_string());
        match models.get(&name) {
            Some(m) if m.kind == want => {}
            Some(m) => errs.push(
                format!("{path}.{field}"),
                format!(
                    "model {name:?} is a {} model; a {} model is required",
                    m.kind.as_str(),
                    want.as_str()
                ),
            ),
            None => errs.push(
                format!("{path}.{field}"),
                format!("unknown model {name:?}; it must be declared under [models]"),
            ),
        }
        name
    };
    let chat_model = target(
        "chat_model",
        raw.chat_model.as_ref(),
        "gpt-4o-mini",
        ModelKind::Chat,
    );
    let reasoning_model = target(
        "reasoning_model",
        raw.reasoning_model.as_ref(),
        "o3-mini",
        ModelKind::Reasoning,
    );
    let threshold = raw.threshold.unwrap_or(0.45);
    if !(0.0..=1.0).contains(&threshold) {
        errs.push(format!("{path}.threshold"), "must be between 0 and 1");
    }
    let routed_models = raw
        .routed_models
        .clone()
        .unwrap_or_else(|| vec!["auto".to_string()]);
    if routed_models.iter().any(String::is_empty) {
        errs.push(format!("{path}.routed_models"), "names must not be empty");
    }
    let unsupported = match raw.reasoning.unsupported_params.as_deref() {
        None | Some("drop") => UnsupportedParams::Drop,
        Some("reject") => UnsupportedParams::Reject,
        Some(o) => {
            errs.push(
                format!("{path}.reasoning.unsupported_params"),
                format!("unknown value {o:?}; expected \"drop\" or \"reject\""),
            );
            UnsupportedParams::Drop
        }
    };
    if let Some(e) = &raw.reasoning.effort {
        if e.is_empty() {
            errs.push(
                format!("{path}.reasoning.effort"),
                "must not be empty (omit it to send none)",
            );
        }
    }
    let allowed_models = raw.allowed_models.clone();
    if let Some(allowed) = &allowed_models {
        for (i, m) in allowed.iter().enumerate() {
            if !models.contains_key(m) {
                errs.push(
                    format!("{path}.allowed_models[{i}]"),
                    format!("unknown model {m:?}; it must be declared under [models]"),
                );
            }
        }
        let needs = match mode {
            RoutingMode::Auto | RoutingMode::Reasoning => {
                vec![("chat_model", &chat_model), ("reasoning_model", &reasoning_model)]
            }
            RoutingMode::Chat | RoutingMode::Passthrough | RoutingMode::Shadow => {
                vec![("chat_model", &chat_model)]
            }
        };
        for (field, m) in needs {
            if !allowed.contains(m) {
                errs.push(
                    format!("{path}.allowed_models"),
                    format!(
                        "must include the {field} {m:?} that the {} mode routes to",
                        mode.as_str()
                    ),
                );
            }
        }
    }
    for (field, v) in [
        ("rpm", raw.limits.rpm),
        ("tpm", raw.limits.tpm),
        ("concurrency", raw.limits.concurrency),
    ] {
        if v == Some(0) {
            errs.push(
                format!("{path}.limits.{field}"),
                "must be at least 1 (omit it for no limit)",
            );
        }
    }
    for (field, v) in [
        ("usd_per_day", raw.budget.usd_per_day),
        ("usd_per_month", raw.budget.usd_per_month),
    ] {
        if v.is_some_and(|x| !(x.is_finite() && x > 0.0)) {
            errs.push(
                format!("{path}.budget.{field}"),
                "must be a positive number of USD",
            );
        }
    }
    let on_exceeded = match raw.budget.on_exceeded.as_deref() {
        None | Some("refuse") => OnBudget::Refuse,
        Some("downgrade") => OnBudget::Downgrade,
        Some(o) => {
            errs.push(
                format!("{path}.budget.on_exceeded"),
                format!("unknown value {o:?}; expected \"refuse\" or \"downgrade\""),
            );
            OnBudget::Refuse
        }
    };
    Policy {
        mode,
        routed_models,
        chat_model,
        reasoning_model,
        threshold,
        allow_override: raw.allow_override.unwrap_or(true),
        reasoning: ReasoningPolicy {
            effort: raw.reasoning.effort.clone(),
            rewrite: raw.reasoning.rewrite.unwrap_or(true),
            unsupported,
            min_completion_tokens: raw.reasoning.min_completion_tokens.unwrap_or(4096),
        },
        cache: CachePolicy {
            enabled: raw.cache.enabled.unwrap_or(true),
            ttl: match &raw.cache.ttl {
                None => Duration::from_secs(3600),
                Some(t) => parse_duration(errs, &format!("{path}.cache.ttl"), t),
            },
            namespace: raw.cache.namespace.clone(),
        },
        allowed_models,
        max_repairs: raw.schema.max_repairs.unwrap_or(1),
        limits: Limits {
            rpm: raw.limits.rpm,
            tpm: raw.limits.tpm,
            concurrency: raw.limits.concurrency,
        },
        budget: Budget {
            tokens_per_day: raw.budget.tokens_per_day,
            tokens_per_month: raw.budget.tokens_per_month,
            usd_per_day: raw.budget.usd_per_day,
            usd_per_month: raw.budget.usd_per_month,
            on_exceeded,
        },
    }
}

fn p_path(model: &str) -> String {
    format!("models.{model}")
}

fn decode_sha256(s: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(s.trim()).ok()?;
    bytes.try_into().ok()
}

/// SHA-256 of a presented key, for lookup in [`AuthConfig::keys`].
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load_str(toml: &str, e: &HashMap<String, String>) -> Result<Config, ConfigErrors> {
        let dir = std::env::temp_dir().join(format!("gearbox-cfg-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("g.toml");
        std::fs::write(&path, toml).unwrap();
        let r = load(Some(&path), e);
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    #[test]
    fn embedded_default_loads_without_key() {
        let cfg = load(None, &env(&[])).unwrap();
        assert_eq!(cfg.source, ConfigSource::Embedded);
        assert_eq!(cfg.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.models["gpt-4o-mini"].kind, ModelKind::Chat);
        assert_eq!(cfg.models["o3-mini"].kind, ModelKind::Reasoning);
        assert!(cfg.upstreams["openai"].api_key.is_none());
    }

    #[test]
    fn embedded_default_reads_openai_key() {
        let cfg = load(None, &env(&[("OPENAI_API_KEY", "sk-test")])).unwrap();
        assert_eq!(
            cfg.upstreams["openai"].api_key.as_ref().unwrap().expose(),
            "sk-test"
        );
        assert!(!format!("{cfg:?}").contains("sk-test"), "secret leaked in Debug");
    }

    #[test]
    fn env_overrides_nested_keys() {
        let cfg = load(
            None,
            &env(&[
                ("GEARBOX_SERVER__LISTEN", "127.0.0.1:9999"),
                ("GEARBOX_SERVER__MAX_BODY_BYTES", "1234"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.server.listen.port(), 9999);
        assert_eq!(cfg.server.max_body_bytes, 1234);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let errs = load_str(
            r#"
            [server]
            listen = "nope"
            drain_timeout = "forever"
            [auth]
            mode = "keys"
            [upstreams.a]
            base_url = "ftp://x"
            [models.m]
            upstream = "b"
            kind = "weird"
            [[teams.t.keys]]
            sha256 = "zz"
            "#,
            &env(&[]),
        )
        .unwrap_err();
        let paths: Vec<&str> = errs.0.iter().map(|(p, _)| p.as_str()).collect();
        for want in [
            "server.listen",
            "server.drain_timeout",
            "upstreams.a.base_url",
            "models.m.upstream",
            "models.m.kind",
            "teams.t.keys[0].sha256",
            "auth.mode",
        ] {
            assert!(paths.contains(&want), "missing {want} in {paths:?}");
        }
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let errs = load_str("[server]\nlisten_addr = \"x\"\n", &env(&[])).unwrap_err();
        assert!(errs.to_string().contains("listen_addr"), "{errs}");
    }

    #[test]
    fn missing_key_env_is_an_error_for_files() {
        let errs = load_str(
            "[auth]\nmode=\"none\"\n[upstreams.o]\nbase_url=\"https://x/v1\"\napi_key_env=\"NOPE_KEY\"\n",
            &env(&[]),
        )
        .unwrap_err();
        assert!(errs.to_string().contains("NOPE_KEY"));
    }

    #[test]
    fn keys_map_to_teams() {
        let h = hex::encode(hash_key("secret-a"));
        let cfg = load_str(
            &format!(
                "[upstreams.u]\nbase_url = \"http://127.0.0.1:1/v1\"\n[models.\"gpt-4o-mini\"]\nupstream = \"u\"\n\
                 [models.\"o3-mini\"]\nupstream = \"u\"\nkind = \"reasoning\"\n\
                 [[teams.alpha.keys]]\nsha256 = \"{h}\"\nlabel = \"ci\"\n[teams.alpha.policy]\nmode = \"shadow\"\n"
            ),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(&*cfg.auth.keys[&hash_key("secret-a")].team, "alpha");
        // The team's override applies over the default policy; other teams get the default.
        assert_eq!(cfg.policy_for("alpha").mode, crate::policy::RoutingMode::Shadow);
        assert_eq!(cfg.policy_for("alpha").chat_model, "gpt-4o-mini");
        assert_eq!(cfg.policy_for("nobody").mode, crate::policy::RoutingMode::Auto);
    }

    #[test]
    fn example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gearbox.toml");
        let e = env(&[("OPENAI_API_KEY", "sk-x"), ("LOCAL_VLLM_KEY", "k")]);
        if let Err(errs) = load(Some(&path), &e) {
            panic!("config/gearbox.toml is invalid:\n{errs}");
        }
    }
}
