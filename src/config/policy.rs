//! `[policy]` and `[teams.NAME.policy]`: routing, reasoning, cache, schema, limits and budget
//! settings, validated into a [`Policy`].
//!
//! Inheritance is one generic step on the TOML tree ([`inherit`]): each team's policy table is
//! laid over a copy of `[policy]` (tables merge key by key, any other value replaces) before the
//! raw shapes are extracted. So a new policy field is its raw field plus its validation below;
//! nothing copies fields one by one.

use super::{ConfigErrors, HumanDuration, ModelConfig, ModelKind};
use crate::policy::{
    Budget, CachePolicy, Limits, OnBudget, Policy, ReasoningPolicy, RoutingMode, UnsupportedParams,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Every field is optional: unset means "inherit" for a team, then the default below.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Default `auto`.
    pub mode: Option<RoutingMode>,
    /// Model names that are routed (classified) rather than served as named. Default `["auto"]`.
    pub routed_models: Option<Vec<String>>,
    /// Default `gpt-4o-mini`.
    pub chat_model: Option<String>,
    /// Default `o3-mini`.
    pub reasoning_model: Option<String>,
    /// Score at or above which a request goes to the reasoning model. Default 0.45.
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

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawReasoningPolicy {
    /// `reasoning_effort` sent when the client set none. Kept open (forwarded as written): the
    /// accepted values belong to the upstream.
    pub effort: Option<String>,
    /// Goal-form prompt rewrite for reasoning-bound routed requests.
    pub rewrite: Option<bool>,
    /// What to do with parameters the reasoning model rejects. Default `drop`.
    pub unsupported_params: Option<UnsupportedParams>,
    /// `max_completion_tokens` is raised to at least this.
    pub min_completion_tokens: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCachePolicy {
    /// Cache deterministic requests (temperature 0, n <= 1, no logprobs). Default true.
    pub enabled: Option<bool>,
    /// Also cache requests that send a `seed` without `temperature: 0`. Default false.
    pub trust_seed: Option<bool>,
    /// Entry lifetime. Default "1h".
    pub ttl: Option<HumanDuration>,
    /// Entries are shared between teams with the same namespace. Default: the team id.
    pub namespace: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchemaPolicy {
    /// Extra upstream calls to repair invalid structured output (default 1; 0 = fail at once).
    pub max_repairs: Option<u32>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens (prompt + completion) per minute.
    pub tpm: Option<u64>,
    /// Concurrent requests (per replica).
    pub concurrency: Option<u64>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub tokens_per_day: Option<u64>,
    pub tokens_per_month: Option<u64>,
    pub usd_per_day: Option<f64>,
    pub usd_per_month: Option<f64>,
    /// What happens at the budget. Default `refuse`.
    pub on_exceeded: Option<OnBudget>,
}

/// Lay each `teams.NAME.policy` table over `[policy]`, in the TOML tree about to be extracted.
/// Afterwards `RawTeam::policy` holds the team's whole effective policy.
pub(super) fn inherit(tree: &mut toml::Table) {
    let Some(toml::Value::Table(base)) = tree.get("policy") else {
        return;
    };
    let base = base.clone();
    let Some(toml::Value::Table(teams)) = tree.get_mut("teams") else {
        return;
    };
    for (_, team) in teams.iter_mut() {
        let Some(slot) = team.as_table_mut().and_then(|t| t.get_mut("policy")) else {
            continue;
        };
        // A value that is not a table is left for extraction to report.
        if let toml::Value::Table(own) = slot {
            *own = overlay(base.clone(), std::mem::take(own));
        }
    }
}

/// `over` laid on `base`: tables merge recursively, any other value (arrays too) replaces.
fn overlay(mut base: toml::Table, over: toml::Table) -> toml::Table {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => {
                *b = overlay(std::mem::take(b), o);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
    base
}

/// Defaults: mode `auto`, routed name `auto`, targets `gpt-4o-mini` / `o3-mini`, threshold 0.45,
/// overrides allowed, rewrite on, unsupported parameters dropped, at least 4096 completion tokens.
pub(super) fn validate(
    errs: &mut ConfigErrors,
    path: &str,
    raw: &RawPolicy,
    models: &BTreeMap<String, ModelConfig>,
) -> Policy {
    let mode = raw.mode.unwrap_or(RoutingMode::Auto);
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
    if raw.reasoning.effort.as_deref() == Some("") {
        errs.push(
            format!("{path}.reasoning.effort"),
            "must not be empty (omit it to send none)",
        );
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
            unsupported: raw
                .reasoning
                .unsupported_params
                .unwrap_or(UnsupportedParams::Drop),
            min_completion_tokens: raw.reasoning.min_completion_tokens.unwrap_or(4096),
        },
        cache: CachePolicy {
            enabled: raw.cache.enabled.unwrap_or(true),
            trust_seed: raw.cache.trust_seed.unwrap_or(false),
            ttl: raw.cache.ttl.map_or(Duration::from_secs(3600), Duration::from),
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
            on_exceeded: raw.budget.on_exceeded.unwrap_or(OnBudget::Refuse),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_mode_words_are_its_serde_names() {
        for mode in [
            RoutingMode::Auto,
            RoutingMode::Chat,
            RoutingMode::Reasoning,
            RoutingMode::Passthrough,
            RoutingMode::Shadow,
        ] {
            let raw: RawPolicy = toml::from_str(&format!("mode = {:?}", mode.as_str())).unwrap();
            assert_eq!(raw.mode, Some(mode));
        }
    }
}
