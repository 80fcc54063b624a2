//! `[log]`: the log format, the filter, and the switch that allows prompt text in logs.

use super::ConfigErrors;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub format: LogFormat,
    /// A tracing filter: a level (`info`) or directives (`gearbox=debug,info`); RUST_LOG wins.
    pub level: String,
    /// Debug switch: allow prompt text in logs. Off unless set explicitly.
    pub include_content: bool,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: LogFormat::Text,
            level: "info".into(),
            include_content: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// For people: one coloured line per event.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A filter `tracing_subscriber::EnvFilter` accepts (checked here).
    pub level: String,
    pub include_content: bool,
}

pub(super) fn validate(errs: &mut ConfigErrors, raw: RawLog) -> LogConfig {
    // The filter stays a string (directives are open-ended), but it is parsed now so a typo is
    // a configuration error rather than a silent fall back to "info" at start-up.
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&raw.level) {
        errs.push(
            "log.level",
            format!(
                "invalid filter {:?} ({e}); use a level (error, warn, info, debug, trace) or \
                 directives such as \"gearbox=debug,info\"",
                raw.level
            ),
        );
    }
    LogConfig {
        format: raw.format,
        level: raw.level,
        include_content: raw.include_content,
    }
}
