//! `[auth]` and `[teams.NAME]`: how clients authenticate, which team each key belongs to, and
//! each team's effective policy (see [`super::policy::inherit`]).

use super::{policy, ConfigErrors, EnvSource, ModelConfig, RawPolicy};
use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAuth {
    pub mode: AuthMode,
    /// An environment variable holding one client key (the key itself, not its hash), which
    /// belongs to team `default`; unset or empty, it adds nothing. The container sets it to
    /// `GEARBOX_CLIENT_KEY`.
    pub key_env: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Bearer keys checked against configured SHA-256 hashes.
    #[default]
    Keys,
    /// No client auth; every request belongs to team `default`. For local use.
    None,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    #[serde(default)]
    pub keys: Vec<RawKey>,
    /// The team's effective policy: its own table laid over `[policy]` before extraction.
    /// `None`: the team has no table and uses the default policy itself.
    #[serde(default)]
    pub policy: Option<RawPolicy>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKey {
    /// Hex SHA-256 of the gateway key (`printf %s "$KEY" | sha256sum`).
    pub sha256: String,
    #[serde(default)]
    pub label: Option<String>,
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

#[derive(Debug, Clone)]
pub struct TeamConfig {
    pub id: String,
    pub policy: Arc<Policy>,
}

/// The teams with their policies, and the key table of `[auth]`.
pub(super) fn validate(
    errs: &mut ConfigErrors,
    auth: RawAuth,
    raw: BTreeMap<String, RawTeam>,
    default_policy: &Arc<Policy>,
    models: &BTreeMap<String, ModelConfig>,
    env: &dyn EnvSource,
) -> (AuthConfig, BTreeMap<String, TeamConfig>) {
    let mut keys = HashMap::new();
    let mut teams = BTreeMap::new();
    for (team, t) in raw {
        let policy = match &t.policy {
            Some(p) => Arc::new(policy::validate(errs, &format!("teams.{team}.policy"), p, models)),
            None => default_policy.clone(),
        };
        let team_id: Arc<str> = Arc::from(team.as_str());
        for (i, k) in t.keys.into_iter().enumerate() {
            let p = format!("teams.{team}.keys[{i}].sha256");
            match decode_sha256(&k.sha256) {
                Some(h) => {
                    let entry = KeyEntry {
                        team: team_id.clone(),
                        label: k.label,
                    };
                    if keys.insert(h, entry).is_some() {
                        errs.push(p, "the same key hash is configured twice");
                    }
                }
                None => errs.push(p, "must be 64 hexadecimal characters (the SHA-256 of the key)"),
            }
        }
        teams.insert(team.clone(), TeamConfig { id: team, policy });
    }
    let mut refused = false;
    if let Some(var) = auth.key_env.as_ref().filter(|v| !v.is_empty()) {
        if let Some(key) = env.var(var) {
            if key.trim().len() < MIN_ENV_KEY_CHARS {
                refused = true;
                errs.push(
                    "auth.key_env",
                    format!(
                        "the key in {var} is shorter than {MIN_ENV_KEY_CHARS} characters; use a \
                         random one, e.g. `openssl rand -hex 24`"
                    ),
                );
            } else {
                let entry = KeyEntry {
                    team: Arc::from(DEFAULT_TEAM),
                    label: Some(var.clone()),
                };
                if keys.insert(hash_key(key.trim()), entry).is_some() {
                    errs.push("auth.key_env", "the same key is also configured under a team");
                }
                teams
                    .entry(DEFAULT_TEAM.to_string())
                    .or_insert_with(|| TeamConfig {
                        id: DEFAULT_TEAM.to_string(),
                        policy: default_policy.clone(),
                    });
            }
        }
    }
    if auth.mode == AuthMode::Keys && keys.is_empty() && !refused {
        let hint = match auth.key_env.as_ref().filter(|v| !v.is_empty()) {
            Some(var) => format!("set {var} to the key clients will send (e.g. `openssl rand -hex 24`), "),
            None => String::new(),
        };
        errs.push(
            "auth.mode",
            format!(
                "is \"keys\" but no client key is configured; {hint}add [[teams.NAME.keys]] \
                 sha256 = \"...\", or set auth.mode = \"none\" (loopback only unless \
                 server.allow_unauthenticated = true)"
            ),
        );
    }
    (
        AuthConfig {
            mode: auth.mode,
            keys,
        },
        teams,
    )
}

/// The team a key from `auth.key_env` belongs to (and every request's team without auth).
pub const DEFAULT_TEAM: &str = "default";

/// Shortest key accepted from `auth.key_env`: a key guarding a public port must not be guessable.
const MIN_ENV_KEY_CHARS: usize = 16;

fn decode_sha256(s: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(s.trim()).ok()?;
    bytes.try_into().ok()
}

/// SHA-256 of a presented key, for lookup in [`AuthConfig::keys`].
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}
