//! `[metrics]`: where `/metrics` is served and whether it asks for a bearer token.

use super::{ConfigErrors, EnvSource, Secret};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMetrics {
    /// Serve `/metrics` on this address instead of the main listener (which then answers 404
    /// for it); empty: the main listener.
    pub listen: Option<String>,
    /// An environment variable holding a token that scrapes must send as
    /// `Authorization: Bearer <token>`.
    pub bearer_token_env: Option<String>,
}

/// Where `/metrics` is served and the token it asks for.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// A listener of its own; `None`: the main listener serves `/metrics`.
    pub listen: Option<SocketAddr>,
    /// Required as `Authorization: Bearer <token>` on every scrape when set.
    pub bearer_token: Option<Secret>,
}

pub(super) fn validate(
    errs: &mut ConfigErrors,
    raw: RawMetrics,
    main: SocketAddr,
    env: &dyn EnvSource,
) -> MetricsConfig {
    // An empty value (`GEARBOX_METRICS__LISTEN=`) means the main listener, as unset does.
    let listen = raw.listen.filter(|l| !l.trim().is_empty());
    let listen = listen.and_then(|l| match l.parse::<SocketAddr>() {
        Ok(a) if a == main && a.port() != 0 => {
            errs.push(
                "metrics.listen",
                format!("is server.listen ({a}); use another port, e.g. \"127.0.0.1:9464\""),
            );
            None
        }
        Ok(a) => Some(a),
        Err(_) => {
            errs.push(
                "metrics.listen",
                format!("invalid socket address {l:?}; use e.g. \"127.0.0.1:9464\""),
            );
            None
        }
    });
    let bearer_token = raw.bearer_token_env.and_then(|var| match env.var(&var) {
        Some(t) if !t.trim().is_empty() => Some(Secret::new(t.trim())),
        _ => {
            errs.push(
                "metrics.bearer_token_env",
                format!("environment variable {var} is not set (or empty); set it to the token scrapes send"),
            );
            None
        }
    });
    MetricsConfig { listen, bearer_token }
}
