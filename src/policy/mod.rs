//! Team policies: how a team's requests are routed and adapted.
//!
//! Pure: no IO, nothing here can fail on input. Policies are built and checked by `config`;
//! this module only describes them and answers questions about them. The enums below are also
//! the configuration's words (`mode = "shadow"`), hence their serde names.

use serde::{Deserialize, Serialize};

/// How routed model names are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// Classify each routed request and send it to the chat or the reasoning target.
    Auto,
    /// Routed requests always go to the chat target.
    Chat,
    /// Routed requests always go to the reasoning target.
    Reasoning,
    /// No classification: a routed name that is a configured model is served as itself; any
    /// other routed name (e.g. `auto`) goes to the chat target.
    Passthrough,
    /// Classify and record the decision (metric and log line) but serve as `Passthrough` does,
    /// so a team can measure before switching routing on.
    Shadow,
}

impl RoutingMode {
    /// The config word (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            RoutingMode::Auto => "auto",
            RoutingMode::Chat => "chat",
            RoutingMode::Reasoning => "reasoning",
            RoutingMode::Passthrough => "passthrough",
            RoutingMode::Shadow => "shadow",
        }
    }
}

/// What to do with a parameter the reasoning model rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsupportedParams {
    /// Remove the parameter and send the request.
    Drop,
    /// Answer 400 naming the parameter.
    Reject,
}

/// Settings for requests bound for a reasoning model.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasoningPolicy {
    pub effort: Option<String>,
    pub rewrite: bool,
    pub unsupported: UnsupportedParams,
    pub min_completion_tokens: u64,
}

/// Response caching for a team.
#[derive(Debug, Clone, PartialEq)]
pub struct CachePolicy {
    pub enabled: bool,
    /// A request with a `seed` (and no other sampling reason to bypass) is cacheable even
    /// without `temperature: 0`. OpenAI calls seeded sampling best-effort deterministic, so this
    /// is the operator's choice; off by default.
    pub trust_seed: bool,
    pub ttl: std::time::Duration,
    /// `None`: the team's own namespace (its id).
    pub namespace: Option<String>,
}

/// Rate and concurrency limits of a team (`None`: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub concurrency: Option<u64>,
}

impl Limits {
    pub fn is_limited(&self) -> bool {
        self.rpm.is_some() || self.tpm.is_some() || self.concurrency.is_some()
    }
}

/// What happens at the budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBudget {
    /// Answer 429 `budget_exceeded`.
    #[default]
    Refuse,
    /// Serve with the chat target.
    Downgrade,
}

/// Spending caps of a team (`None`: no cap).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Budget {
    pub tokens_per_day: Option<u64>,
    pub tokens_per_month: Option<u64>,
    pub usd_per_day: Option<f64>,
    pub usd_per_month: Option<f64>,
    pub on_exceeded: OnBudget,
}

impl Budget {
    pub fn is_set(&self) -> bool {
        self.tokens_per_day.is_some()
            || self.tokens_per_month.is_some()
            || self.usd_per_day.is_some()
            || self.usd_per_month.is_some()
    }

    /// Which cap `spent` has reached, if any.
    pub fn exceeded(&self, spent: &Spend) -> Option<&'static str> {
        let over_u = |cap: Option<u64>, v: u64| cap.is_some_and(|c| v >= c);
        let over_f = |cap: Option<f64>, v: f64| cap.is_some_and(|c| v >= c);
        if over_u(self.tokens_per_day, spent.day_tokens) {
            Some("tokens_per_day")
        } else if over_u(self.tokens_per_month, spent.month_tokens) {
            Some("tokens_per_month")
        } else if over_f(self.usd_per_day, spent.day_usd) {
            Some("usd_per_day")
        } else if over_f(self.usd_per_month, spent.month_usd) {
            Some("usd_per_month")
        } else {
            None
        }
    }
}

/// A team's spending so far in the current day and month (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spend {
    pub day_tokens: u64,
    pub month_tokens: u64,
    pub day_usd: f64,
    pub month_usd: f64,
}

/// One team's effective policy (the default `[policy]` with the team's overrides applied).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub mode: RoutingMode,
    pub routed_models: Vec<String>,
    /// Public model names (keys of `[models]`), checked by config validation.
    pub chat_model: String,
    pub reasoning_model: String,
    pub threshold: f32,
    pub allow_override: bool,
    pub reasoning: ReasoningPolicy,
    pub cache: CachePolicy,
    /// `None`: every configured model.
    pub allowed_models: Option<Vec<String>>,
    /// Extra upstream calls allowed to repair invalid structured output.
    pub max_repairs: u32,
    pub limits: Limits,
    pub budget: Budget,
}

impl Policy {
    /// May this team use the public model `name`?
    pub fn allows(&self, name: &str) -> bool {
        self.allowed_models
            .as_ref()
            .is_none_or(|a| a.iter().any(|m| m == name))
    }

    /// The cache namespace of `team` under this policy.
    pub fn cache_namespace<'a>(&'a self, team: &'a str) -> &'a str {
        self.cache.namespace.as_deref().unwrap_or(team)
    }

    /// Is `model` a routed name for this policy?
    pub fn is_routed(&self, model: &str) -> bool {
        self.routed_models.iter().any(|m| m == model)
    }
}
