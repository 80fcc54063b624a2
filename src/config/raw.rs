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
    /// The default policy; teams override it field by field.
    #[serde(default)]
    pub policy: RawPolicy,
    #[serde(default)]
    pub router: RawRouter,
    #[serde(default)]
    pub cache: RawCache,
    #[serde(default)]
    pub redis: RawRedis,
    #[serde(default)]
    pub limits: RawLimitsGlobal,
    #[serde(default)]
    pub resilience: RawResilience,
    /// Capability profiles of reasoning models, matched by longest model-name prefix before the
    /// built-in profiles (o1-mini, o1, o3-mini, o3, o4-mini, gpt-5, deepseek-r1, qwq, reasoning).
    #[serde(default)]
    pub reasoning_profiles: Vec<crate::rewrite::ModelProfile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCache {
    /// Byte budget of the in-process tier.
    pub max_bytes: u64,
    /// Use the `[redis]` server as a shared tier (when one is configured).
    pub shared: bool,
    /// How long a coalesced request waits for the identical request in flight.
    pub coalesce_timeout: String,
}

impl Default for RawCache {
    fn default() -> Self {
        RawCache {
            max_bytes: 256 * 1024 * 1024,
            shared: true,
            coalesce_timeout: "120s".into(),
        }
    }
}

/// The shared Redis server (cache tier, limits and budgets across replicas).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRedis {
    /// e.g. `redis://127.0.0.1:6379`. Unset: everything is in-process.
    pub url: Option<String>,
    /// Deadline of each Redis operation.
    pub timeout: String,
}

impl Default for RawRedis {
    fn default() -> Self {
        RawRedis {
            url: None,
            timeout: "50ms".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawResilience {
    /// Upstream attempts per request, first try included (retries and fallbacks).
    pub max_attempts: u32,
    /// First retry delay; doubled per retry, with jitter, capped by `backoff_max`.
    pub backoff_base: String,
    pub backoff_max: String,
    /// Retries allowed as a fraction of recent requests (plus a small floor), so retries
    /// cannot amplify an outage.
    pub retry_budget: f64,
    /// Consecutive failures that open a deployment's circuit.
    pub circuit_failures: u32,
    /// How long an open circuit stays open before one probe is let through.
    pub circuit_cooldown: String,
}

impl Default for RawResilience {
    fn default() -> Self {
        RawResilience {
            max_attempts: 3,
            backoff_base: "50ms".into(),
            backoff_max: "2s".into(),
            retry_budget: 0.2,
            circuit_failures: 5,
            circuit_cooldown: "10s".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLimitsGlobal {
    /// Replicas sharing the limits; when Redis is unreachable each replica enforces limit /
    /// replicas locally.
    pub replicas: u32,
    /// Completion tokens assumed, when reserving against limits and budgets, for a chat request
    /// that sets neither `max_tokens` nor `max_completion_tokens`.
    pub completion_estimate: u64,
}

impl Default for RawLimitsGlobal {
    fn default() -> Self {
        RawLimitsGlobal {
            replicas: 1,
            completion_estimate: crate::limits::DEFAULT_COMPLETION_ESTIMATE,
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchemaPolicy {
    /// Extra upstream calls to repair invalid structured output (default 1; 0 = fail at once).
    pub max_repairs: Option<u32>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens (prompt + completion) per minute.
    pub tpm: Option<u64>,
    /// Concurrent requests (per replica).
    pub concurrency: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub tokens_per_day: Option<u64>,
    pub tokens_per_month: Option<u64>,
    pub usd_per_day: Option<f64>,
    pub usd_per_month: Option<f64>,
    /// `refuse` (429 budget_exceeded) | `downgrade` (serve with the chat target).
    pub on_exceeded: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCachePolicy {
    /// Cache deterministic requests (temperature 0 or unset, n <= 1). Default true.
    pub enabled: Option<bool>,
    /// Entry lifetime. Default "1h".
    pub ttl: Option<String>,
    /// Entries are shared between teams with the same namespace. Default: the team id.
    pub namespace: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouter {
    /// A trained router model file (`gearbox train --out`); the compiled-in model otherwise.
    #[serde(default)]
    pub model_file: Option<String>,
}

/// Policy fields are all optional so a team's table can override any subset of the default.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// `auto` | `chat` | `reasoning` | `passthrough` | `shadow`.
    pub mode: Option<String>,
    /// Model names that are routed (classified) rather than served as named.
    pub routed_models: Option<Vec<String>>,
    pub chat_model: Option<String>,
    pub reasoning_model: Option<String>,
    /// Score at or above which a request goes to the reasoning model.
    pub threshold: Option<f32>,
    /// Whether `x-gearbox-route` and `x-gearbox-rewrite` request headers are honoured.
    pub allow_override: Option<bool>,
    #[serde(default)]
    pub reasoning: RawReasoningPolicy,
    #[serde(default)]
    pub cache: RawCachePolicy,
    /// Public model names this team may use (requests for others: 403). Unset: all.
    pub allowed_models: Option<Vec<String>>,
    #[serde(default)]
    pub schema: RawSchemaPolicy,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub budget: RawBudget,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReasoningPolicy {
    /// `reasoning_effort` sent when the client set none.
    pub effort: Option<String>,
    /// Goal-form prompt rewrite for reasoning-bound routed requests.
    pub rewrite: Option<bool>,
    /// `drop` | `reject`: what to do with parameters the reasoning model rejects.
    pub unsupported_params: Option<String>,
    /// `max_completion_tokens` is raised to at least this.
    pub min_completion_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawServer {
    pub listen: String,
    pub max_body_bytes: u64,
    /// Most messages accepted in one request.
    pub max_messages: usize,
    /// Connections served at once; more clients wait to be accepted.
    pub max_connections: usize,
    /// Worker threads (each a single-threaded runtime serving the connections dealt to it);
    /// 0 = one per CPU.
    pub workers: usize,
    /// Pin worker thread i to the i-th CPU the process may run on.
    pub pin_workers: bool,
    pub header_read_timeout: String,
    pub drain_timeout: String,
    pub tls: Option<RawTls>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 10 * 1024 * 1024,
            max_messages: 2048,
            max_connections: 10_000,
            workers: 0,
            pin_workers: false,
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
        RawAuth { mode: "keys".into() }
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
    #[serde(default = "default_stream_total_timeout")]
    pub stream_total_timeout: String,
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
fn default_stream_total_timeout() -> String {
    "30m".into()
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
    /// The upstream serving this model (or use `deployments` for several).
    #[serde(default)]
    pub upstream: Option<String>,
    /// The model name sent upstream; defaults to the public name.
    #[serde(default)]
    pub name: Option<String>,
    /// Several deployments of the same model, load-balanced and failed over.
    #[serde(default)]
    pub deployments: Vec<RawDeployment>,
    /// `chat` | `reasoning` | `embedding`.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// USD per million tokens, for cost metrics and budgets.
    #[serde(default)]
    pub price: Option<RawPrice>,
    /// Native structured outputs (`response_format` json_schema / json_object). When false the
    /// schema goes into the prompt and is enforced on the way back. Default: true for chat
    /// models; the capability profile decides for reasoning models.
    #[serde(default)]
    pub structured_outputs: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    pub upstream: String,
    /// The model name on that upstream; defaults to the model's `name`, then its public name.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    pub input: f64,
    pub output: f64,
    /// Cached prompt tokens; defaults to `input`.
    #[serde(default)]
    pub cached_input: Option<f64>,
}

fn default_kind() -> String {
    "chat".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    #[serde(default)]
    pub keys: Vec<RawKey>,
    /// Overrides of the default `[policy]`.
    #[serde(default)]
    pub policy: Option<RawPolicy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKey {
    /// Hex SHA-256 of the gateway key (`printf %s "$KEY" | sha256sum`).
    pub sha256: String,
    #[serde(default)]
    pub label: Option<String>,
}
