//! `[passthrough]`: where the rest of the OpenAI surface (completions, moderations, audio,
//! images, files, batches, uploads) goes when a request names no configured model, and how
//! large a streamed (multipart or binary) body may be.

use super::{ConfigErrors, UpstreamConfig};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest streamed passthrough body by default: OpenAI's file size limit.
const DEFAULT_MAX_BODY_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPassthrough {
    /// The upstream of requests that name no configured model (files, batches, uploads, or a
    /// model the config does not declare). Unset: the only upstream, when there is one.
    pub upstream: Option<String>,
    /// Largest request body relayed as a stream (multipart uploads, binary content).
    pub max_body_bytes: u64,
}

impl Default for RawPassthrough {
    fn default() -> Self {
        RawPassthrough {
            upstream: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The validated `[passthrough]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct PassthroughConfig {
    /// The default upstream; `None` when several upstreams are configured and none is named
    /// (requests that name no configured model then get a 404 saying so).
    pub upstream: Option<String>,
    pub max_body_bytes: u64,
}

pub fn validate(
    errs: &mut ConfigErrors,
    raw: RawPassthrough,
    upstreams: &BTreeMap<String, UpstreamConfig>,
) -> PassthroughConfig {
    let upstream = match raw.upstream {
        Some(name) if upstreams.contains_key(&name) => Some(name),
        Some(name) => {
            errs.push(
                "passthrough.upstream",
                format!("names the upstream {name:?}, which is not configured under [upstreams]"),
            );
            None
        }
        None if upstreams.len() == 1 => upstreams.keys().next().cloned(),
        None => None,
    };
    if raw.max_body_bytes == 0 {
        errs.push("passthrough.max_body_bytes", "must be greater than 0");
    }
    PassthroughConfig {
        upstream,
        max_body_bytes: raw.max_body_bytes,
    }
}
