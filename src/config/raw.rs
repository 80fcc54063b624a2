//! Raw configuration shapes: exactly what is extracted from TOML and `GEARBOX_*` variables.
//! The root is here; each section's shape lives in its section's file, next to its validation.
//!
//! Invariants: unknown keys are errors (`deny_unknown_fields`), so a typo never silently falls
//! back to a default. Closed sets of words are serde enums and durations are humantime strings,
//! so a bad value is refused at extraction with its key path and the allowed values; what is
//! left to `config::validate` is what serde cannot check (cross-references, ranges, files).
//! `Serialize` exists for the test that every key is documented in `config/gearbox.toml`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::cache::{RawCache, RawRedis, RawResponses};
pub use super::limits::RawLimitsGlobal;
pub use super::log::RawLog;
pub use super::metrics::RawMetrics;
pub use super::models::{RawDeployment, RawModel, RawPrice};
pub use super::passthrough::RawPassthrough;
pub use super::policy::{
    RawBudget, RawCachePolicy, RawLimits, RawPolicy, RawReasoningPolicy, RawSchemaPolicy,
};
pub use super::resilience::RawResilience;
pub use super::router::RawRouter;
pub use super::server::{RawServer, RawTls};
pub use super::teams::{RawAuth, RawKey, RawTeam};
pub use super::tracing::RawTracing;
pub use super::upstreams::RawUpstream;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub auth: RawAuth,
    #[serde(default)]
    pub metrics: RawMetrics,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub upstreams: BTreeMap<String, RawUpstream>,
    #[serde(default)]
    pub models: BTreeMap<String, RawModel>,
    /// Each team's `policy` is already its effective policy (`policy::inherit`).
    #[serde(default)]
    pub teams: BTreeMap<String, RawTeam>,
    /// The default policy, and the base every team's policy table is laid over.
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
    #[serde(default)]
    pub responses: RawResponses,
    #[serde(default)]
    pub passthrough: RawPassthrough,
    #[serde(default)]
    pub tracing: RawTracing,
    /// Capability profiles of reasoning models, matched by longest model-name prefix before the
    /// built-in profiles (o1-mini, o1, o3-mini, o3, o4-mini, gpt-5, deepseek-r1, qwq, reasoning).
    /// Not serialised: the profile type belongs to `rewrite` (the documentation test lists its
    /// keys from its deserialiser instead).
    #[serde(default, skip_serializing)]
    pub reasoning_profiles: Vec<crate::rewrite::ModelProfile>,
}
