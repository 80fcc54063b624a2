//! `[models."NAME"]`: the public model names, their kind, deployments and prices; and
//! `[[reasoning_profiles]]`, the capabilities of reasoning models.

use super::{ConfigErrors, UpstreamConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Serialize)]
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
    #[serde(default)]
    pub kind: ModelKind,
    /// USD per million tokens, for cost metrics and budgets.
    #[serde(default)]
    pub price: Option<RawPrice>,
    /// Native structured outputs (`response_format` json_schema / json_object). When false the
    /// schema goes into the prompt and is enforced on the way back. Default: true for chat
    /// models; the capability profile decides for reasoning models.
    #[serde(default)]
    pub structured_outputs: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeployment {
    pub upstream: String,
    /// The model name on that upstream; defaults to the model's `name`, then its public name.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    pub input: f64,
    pub output: f64,
    /// Cached prompt tokens; defaults to `input`.
    #[serde(default)]
    pub cached_input: Option<f64>,
}

/// What a model is for; the `kind` key of a model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    #[default]
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

pub(super) fn validate(
    errs: &mut ConfigErrors,
    raw: BTreeMap<String, RawModel>,
    upstreams: &BTreeMap<String, UpstreamConfig>,
) -> BTreeMap<String, ModelConfig> {
    let mut models = BTreeMap::new();
    for (name, m) in raw {
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
        let price = m.price.map(|price| {
            for (field, v) in [
                ("input", price.input),
                ("output", price.output),
                ("cached_input", price.cached_input.unwrap_or(0.0)),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    errs.push(
                        format!("{p}.price.{field}"),
                        "must be a non-negative number (USD per million tokens)",
                    );
                }
            }
            Price {
                input: price.input,
                output: price.output,
                cached_input: price.cached_input.unwrap_or(price.input),
            }
        });
        models.insert(
            name.clone(),
            ModelConfig {
                upstream_model: primary.upstream_model,
                public_name: name,
                upstream: primary.upstream,
                kind: m.kind,
                price,
                structured_outputs: m.structured_outputs,
                deployments,
            },
        );
    }
    models
}

/// Configured profiles apply by model-name prefix, so each needs a non-empty name.
pub(super) fn validate_profiles(errs: &mut ConfigErrors, profiles: &[crate::rewrite::ModelProfile]) {
    for (i, p) in profiles.iter().enumerate() {
        if p.name.trim().is_empty() {
            errs.push(
                format!("reasoning_profiles[{i}].name"),
                "must be the model-name prefix the profile applies to",
            );
        }
    }
}
