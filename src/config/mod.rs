//! Configuration: figment layers (embedded defaults or a TOML file, then `GEARBOX_*` variables)
//! extracted into [`raw`] shapes and validated into a [`Config`] that holds only checked,
//! compiled values.
//!
//! Invariants: this is the only module that reads files or environment variables; validation
//! reports every problem with its dotted path before anything binds a port; secrets live in
//! [`Secret`], which never prints.
//!
//! One file per section, each holding the section's raw shape, its validated form and the
//! validation between them: `server`, `teams` (`[auth]`, keys), `metrics`, `log`, `upstreams`, `models`
//! (with `[[reasoning_profiles]]`), `policy` (and how teams inherit it), `cache` (with
//! `[redis]`), `limits`, `resilience`, `router`, `passthrough`, `tracing`. `source` layers the text and the environment
//! and extracts the raw shapes; this file holds the entry points and the assembled [`Config`].

mod cache;
mod duration;
mod limits;
mod log;
mod metrics;
mod models;
mod passthrough;
mod policy;
pub mod raw;
mod resilience;
mod router;
mod server;
mod source;
mod teams;
mod tracing;
mod upstreams;

pub use cache::{CacheConfig, RedisConfig, ResponsesConfig};
pub use duration::HumanDuration;
pub use log::{LogConfig, LogFormat};
pub use metrics::MetricsConfig;
pub use models::{Deployment, ModelConfig, ModelKind, Price};
pub use passthrough::PassthroughConfig;
pub use resilience::ResilienceConfig;
pub use server::{exposure_problem, is_loopback, ServerConfig, TlsFiles};
pub use source::{EnvSource, ProcessEnv};
pub use teams::{hash_key, AuthConfig, AuthMode, KeyEntry, TeamConfig, DEFAULT_TEAM};
pub use tracing::TracingConfig;
pub use upstreams::{Secret, UpstreamApi, UpstreamConfig, UpstreamHttp2};

use crate::classify::RouterModel;
use crate::policy::Policy;
use raw::{RawConfig, RawPolicy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration used when no file is given: OpenAI as upstream, `gpt-4o-mini` for chat and
/// `o3-mini` for reasoning, no client auth on loopback.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../config/default.toml");

/// The router model trained by `gearbox train` on the public corpus plus `data/router/`.
pub const EMBEDDED_ROUTER_MODEL: &[u8] = include_bytes!("../../config/router.bin");

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
    /// Where `/metrics` is served and the token it asks for.
    pub metrics: MetricsConfig,
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
    /// The Responses API's response store.
    pub responses: ResponsesConfig,
    /// Where the rest of the surface (files, batches, audio, ...) goes (`[passthrough]`).
    pub passthrough: PassthroughConfig,
    /// OpenTelemetry trace export (`[tracing]`); `None` when off. Read at start-up only.
    pub tracing: Option<TracingConfig>,
    /// Replicas sharing limits (the divisor for local limits when Redis is unreachable).
    pub replicas: u32,
    /// Completion tokens reserved for a chat request without a completion cap
    /// (`[limits] completion_estimate`).
    pub completion_estimate: u64,
    /// Configured reasoning-model profiles (see `rewrite::resolve_profile`).
    pub reasoning_profiles: Vec<crate::rewrite::ModelProfile>,
}

impl Config {
    /// The effective policy of a team.
    pub fn policy_for(&self, team: &str) -> &Arc<Policy> {
        self.teams.get(team).map_or(&self.default_policy, |t| &t.policy)
    }
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

/// Load and validate: the file at `path` (or the embedded default), then `GEARBOX_*` overrides
/// (`__` separates levels: `GEARBOX_SERVER__LISTEN=0.0.0.0:8080`). Start-up, `check-config` and
/// hot reload all come through here.
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
    let tree = source::layered(text, env)?;
    let mut errs = ConfigErrors::default();
    let Some(raw) = source::extract(tree, &mut errs) else {
        return Err(errs);
    };
    // Values refused at extraction were removed; validation still checks everything else, so
    // one run lists every problem.
    let config = check(&mut errs, raw, source, env);
    if errs.0.is_empty() {
        Ok(config)
    } else {
        Err(errs)
    }
}

/// Check every field of a raw config, collecting all problems.
pub fn validate(raw: RawConfig, source: ConfigSource, env: &dyn EnvSource) -> Result<Config, ConfigErrors> {
    let mut errs = ConfigErrors::default();
    let config = check(&mut errs, raw, source, env);
    if errs.0.is_empty() {
        Ok(config)
    } else {
        Err(errs)
    }
}

/// Each section in turn; a problem is recorded and a stand-in value used, so that the later
/// sections are still checked.
fn check(errs: &mut ConfigErrors, raw: RawConfig, source: ConfigSource, env: &dyn EnvSource) -> Config {
    let server = server::validate(errs, raw.server);
    let log = log::validate(errs, raw.log);
    let upstreams = upstreams::validate(errs, raw.upstreams, &source, env);
    let models = models::validate(errs, raw.models, &upstreams);
    let default_policy = Arc::new(policy::validate(errs, "policy", &raw.policy, &models));
    let (auth, teams) = teams::validate(errs, raw.auth, raw.teams, &default_policy, &models, env);
    server::check_exposure(errs, &server, auth.mode);
    let metrics = metrics::validate(errs, raw.metrics, server.listen, env);
    models::validate_profiles(errs, &raw.reasoning_profiles);
    let cache = cache::validate_cache(raw.cache);
    let redis = cache::validate_redis(errs, raw.redis);
    let resilience = resilience::validate(errs, raw.resilience);
    let responses = cache::validate_responses(raw.responses);
    let passthrough = passthrough::validate(errs, raw.passthrough, &upstreams);
    let tracing = tracing::validate(errs, raw.tracing);
    limits::validate(errs, &raw.limits);
    let router_model = router::load_model(errs, &raw.router);
    Config {
        source,
        server,
        auth,
        metrics,
        log,
        upstreams,
        models,
        teams,
        default_policy,
        router_model,
        cache,
        redis,
        resilience,
        responses,
        passthrough,
        tracing,
        replicas: raw.limits.replicas.max(1),
        completion_estimate: raw.limits.completion_estimate,
        reasoning_profiles: raw.reasoning_profiles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
    fn no_client_auth_is_refused_off_loopback_unless_allowed() {
        for listen in ["0.0.0.0:8080", "[::]:8080", "192.0.2.7:8080"] {
            let errs = load(None, &env(&[("GEARBOX_SERVER__LISTEN", listen)])).unwrap_err();
            let (path, msg) = &errs.0[0];
            assert_eq!(path, "auth.mode", "{errs}");
            assert!(msg.contains("allow_unauthenticated"), "{msg}");
        }
        for listen in [
            "127.0.0.1:8080",
            "127.1.2.3:0",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:8080",
        ] {
            load(None, &env(&[("GEARBOX_SERVER__LISTEN", listen)])).unwrap();
        }
        let cfg = load(
            None,
            &env(&[
                ("GEARBOX_SERVER__LISTEN", "0.0.0.0:8080"),
                ("GEARBOX_SERVER__ALLOW_UNAUTHENTICATED", "true"),
            ]),
        )
        .unwrap();
        assert!(cfg.server.allow_unauthenticated);
    }

    #[test]
    fn key_env_adds_one_key_to_team_default() {
        let vars = [
            ("GEARBOX_SERVER__LISTEN", "0.0.0.0:8080"),
            ("GEARBOX_AUTH__MODE", "keys"),
            ("GEARBOX_AUTH__KEY_ENV", "GEARBOX_CLIENT_KEY"),
        ];
        let errs = load(None, &env(&vars)).unwrap_err();
        assert!(errs.to_string().contains("set GEARBOX_CLIENT_KEY"), "{errs}");
        let mut with_key = vars.to_vec();
        with_key.push(("GEARBOX_CLIENT_KEY", "a-long-enough-client-key"));
        let cfg = load(None, &env(&with_key)).unwrap();
        let entry = &cfg.auth.keys[&hash_key("a-long-enough-client-key")];
        assert_eq!(&*entry.team, DEFAULT_TEAM);
        assert!(cfg.teams.contains_key(DEFAULT_TEAM));
        assert!(!format!("{cfg:?}").contains("a-long-enough-client-key"));
    }

    #[test]
    fn metrics_listener_and_token() {
        let cfg = load(
            None,
            &env(&[
                ("GEARBOX_METRICS__LISTEN", "127.0.0.1:9464"),
                ("GEARBOX_METRICS__BEARER_TOKEN_ENV", "TOK"),
                ("TOK", "scrape"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.metrics.listen.unwrap().port(), 9464);
        assert_eq!(cfg.metrics.bearer_token.unwrap().expose(), "scrape");
        let cfg = load(None, &env(&[("GEARBOX_METRICS__LISTEN", "")])).unwrap();
        assert!(cfg.metrics.listen.is_none(), "empty: the main listener");
        let errs = load(
            None,
            &env(&[
                ("GEARBOX_METRICS__LISTEN", "127.0.0.1:8080"),
                ("GEARBOX_METRICS__BEARER_TOKEN_ENV", "TOK"),
            ]),
        )
        .unwrap_err();
        let paths: Vec<&str> = errs.0.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["metrics.listen", "metrics.bearer_token_env"], "{errs}");
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
    fn upstream_http2_and_ca_file_are_checked() {
        let errs = load_str(
            "[auth]\nmode=\"none\"\n[upstreams.o]\nbase_url=\"https://x/v1\"\nhttp2=\"always\"\n\
             [upstreams.p]\nbase_url=\"https://y/v1\"\nca_file=\"/nonexistent/ca.pem\"\n",
            &env(&[]),
        )
        .unwrap_err();
        let text = errs.to_string();
        assert!(text.contains("always"), "{text}");
        let paths: Vec<&str> = errs.0.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"upstreams.p.ca_file"), "{paths:?}");
        // A file that is not PEM is refused too, by path.
        let dir = std::env::temp_dir().join(format!("gearbox-ca-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("ca.pem");
        std::fs::write(&bad, "not a certificate\n").unwrap();
        let errs = load_str(
            &format!(
                "[auth]\nmode=\"none\"\n[upstreams.p]\nbase_url=\"https://y/v1\"\nca_file={:?}\n",
                bad.display().to_string()
            ),
            &env(&[]),
        )
        .unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(errs.to_string().contains("no PEM certificate"), "{errs}");
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
    fn tracing_is_off_by_default_and_checked_when_set() {
        let cfg = load_str(&with(""), &env(&[])).unwrap();
        assert!(cfg.tracing.is_none());
        let cfg = load_str(
            &with("[tracing]\nenabled = true\nendpoint = \"http://collector:4318/\"\nsample_ratio = 0.01\n"),
            &env(&[]),
        )
        .unwrap();
        let t = cfg.tracing.unwrap();
        assert_eq!(t.traces_url, "http://collector:4318/v1/traces");
        assert_eq!((t.sample_ratio, t.parent_based), (0.01, true));
        // Checked even while off, so turning it on cannot fail later.
        let all = problems(&with(
            "[tracing]\nendpoint = \"collector:4318\"\nsample_ratio = 1.5\nmax_queue_size = 0\n",
        ));
        assert!(problem(&all, "tracing.endpoint").contains("http://127.0.0.1:4318"));
        assert!(problem(&all, "tracing.sample_ratio").contains("from 0 to 1"));
        problem(&all, "tracing.max_queue_size");
    }

    #[test]
    fn example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gearbox.toml");
        let e = env(&[("OPENAI_API_KEY", "sk-x"), ("LOCAL_VLLM_KEY", "k")]);
        if let Err(errs) = load(Some(&path), &e) {
            panic!("config/gearbox.toml is invalid:\n{errs}");
        }
    }
    /// A minimal valid config (two models, key auth with one team) plus `extra`.
    fn with(extra: &str) -> String {
        let h = hex::encode(hash_key("k"));
        format!(
            "[upstreams.u]\nbase_url = \"http://127.0.0.1:1/v1\"\n[models.\"gpt-4o-mini\"]\nupstream = \"u\"\n\
             [models.\"o3-mini\"]\nupstream = \"u\"\nkind = \"reasoning\"\n[[teams.t.keys]]\nsha256 = \"{h}\"\n{extra}"
        )
    }

    fn problems(toml: &str) -> Vec<(String, String)> {
        load_str(toml, &env(&[])).unwrap_err().0
    }

    fn problem<'a>(all: &'a [(String, String)], path: &str) -> &'a str {
        match all.iter().find(|(p, _)| p == path) {
            Some((_, msg)) => msg,
            None => panic!("no problem at {path}: {all:?}"),
        }
    }

    #[test]
    fn bad_enum_values_name_the_key_and_the_allowed_values() {
        let all = problems(&with(
            "[auth]\nmode = \"token\"\n[log]\nformat = \"yaml\"\n[models.e]\nupstream = \"u\"\nkind = \"embed\"\n\
             [policy]\nmode = \"smart\"\n[policy.reasoning]\nunsupported_params = \"ignore\"\n\
             [teams.t.policy.budget]\non_exceeded = \"warn\"\n",
        ));
        for (path, bad, allowed) in [
            ("auth.mode", "token", &["keys", "none"][..]),
            ("log.format", "yaml", &["text", "json"]),
            ("models.e.kind", "embed", &["chat", "reasoning", "embedding"]),
            (
                "policy.mode",
                "smart",
                &["auto", "chat", "reasoning", "passthrough", "shadow"],
            ),
            (
                "policy.reasoning.unsupported_params",
                "ignore",
                &["drop", "reject"],
            ),
            (
                "teams.t.policy.budget.on_exceeded",
                "warn",
                &["refuse", "downgrade"],
            ),
        ] {
            let msg = problem(&all, path);
            assert!(
                msg.starts_with(&format!("unknown variant `{bad}`, expected")),
                "{path}: {msg}"
            );
            for a in allowed {
                assert!(msg.contains(&format!("`{a}`")), "{path}: {msg}");
            }
        }
        // A value a team inherits from [policy] is reported once, where it is written.
        assert!(
            !all.iter().any(|(p, _)| p.starts_with("teams.t.policy.mode")),
            "{all:?}"
        );
    }

    #[test]
    fn bad_durations_name_the_key_and_the_expected_form() {
        let all = problems(&with(
            "[server]\ndrain_timeout = \"soon\"\n[redis]\ntimeout = 50\n[policy.cache]\nttl = \"1 fortnight\"\n\
             [upstreams.v]\nbase_url = \"http://x/v1\"\nrequest_timeout = \"\"\n",
        ));
        for path in [
            "server.drain_timeout",
            "policy.cache.ttl",
            "upstreams.v.request_timeout",
        ] {
            let msg = problem(&all, path);
            assert!(
                msg.starts_with("invalid duration") && msg.contains("\"250ms\""),
                "{path}: {msg}"
            );
        }
        let msg = problem(&all, "redis.timeout");
        assert!(
            msg.contains("integer `50`") && msg.contains("a duration string with a unit"),
            "{msg}"
        );
    }

    #[test]
    fn header_limits_default_and_stay_below_the_servers_ceiling() {
        let cfg = load_str(&with(""), &env(&[])).unwrap();
        assert_eq!(cfg.server.max_header_bytes, 64 * 1024);
        assert_eq!(cfg.server.max_headers, 100);
        let cfg = load_str(
            &with("[server]\nmax_header_bytes = 524288\nmax_headers = 100\n"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(
            (cfg.server.max_header_bytes, cfg.server.max_headers),
            (524_288, 100)
        );
        for (bytes, fields) in [(0, 0), (524_289, 101)] {
            let all = problems(&with(&format!(
                "[server]\nmax_header_bytes = {bytes}\nmax_headers = {fields}\n"
            )));
            assert!(
                problem(&all, "server.max_header_bytes").contains("524288"),
                "{all:?}"
            );
            assert!(problem(&all, "server.max_headers").contains("100"), "{all:?}");
        }
    }

    #[test]
    fn extraction_and_validation_problems_are_reported_together() {
        // A refused value, an unknown key, a missing required key in an array element and a
        // cross-reference error: all in one report.
        let all = problems(&with(
            "[server]\nlisten = \"nope\"\nheader_read_timeout = 3\nlisten_port = 1\n[policy]\nchat_model = \"gpt-5\"\n",
        ));
        problem(&all, "server.header_read_timeout");
        assert!(problem(&all, "server.listen_port").contains("unknown field"));
        problem(&all, "server.listen");
        problem(&all, "policy.chat_model");
        // A table that had to be dropped stops validation (its remains would mislead), but every
        // extraction problem is still listed.
        let all = problems(&with(
            "[upstreams.w]\nconnect_timeout = \"1s\"\n[log]\nformat = \"xml\"\n",
        ));
        assert!(problem(&all, "upstreams.w").contains("base_url"), "{all:?}");
        problem(&all, "log.format");
        assert_eq!(all.len(), 2, "{all:?}");
        let all = problems(&with("[[teams.u.keys]]\nlabel = \"no hash\"\n"));
        assert!(
            problem(&all, "teams.u.keys[0]").contains("missing field `sha256`"),
            "{all:?}"
        );
        assert_eq!(all.len(), 1, "{all:?}");
    }

    #[test]
    fn bad_log_filters_are_refused() {
        let all = problems(&with("[log]\nlevel = \"gearbox=loud\"\n"));
        assert!(
            problem(&all, "log.level").contains("gearbox=debug,info"),
            "{all:?}"
        );
        let cfg = load_str(&with("[log]\nlevel = \"gearbox=debug,info\"\n"), &env(&[])).unwrap();
        assert_eq!(cfg.log.level, "gearbox=debug,info");
    }

    #[test]
    fn teams_inherit_the_default_policy_table_by_table() {
        let cfg = load_str(
            &with(
                "[policy]\nmode = \"chat\"\nrouted_models = [\"auto\", \"gpt-4o\"]\n\
                 [policy.reasoning]\neffort = \"high\"\nunsupported_params = \"reject\"\n\
                 [policy.cache]\nttl = \"10m\"\n[policy.budget]\ntokens_per_month = 1000\non_exceeded = \"downgrade\"\n\
                 [teams.t.policy]\nrouted_models = [\"auto\"]\n[teams.t.policy.reasoning]\nrewrite = false\n\
                 [teams.t.policy.budget]\ntokens_per_day = 10\n[teams.plain]\n",
            ),
            &env(&[("GEARBOX_TEAMS__T__POLICY__CACHE__ENABLED", "false")]),
        )
        .unwrap();
        let t = cfg.policy_for("t");
        // Scalars and nested tables inherit key by key; arrays are replaced whole.
        assert_eq!(t.mode, crate::policy::RoutingMode::Chat);
        assert_eq!(t.routed_models, ["auto"]);
        assert_eq!(t.reasoning.effort.as_deref(), Some("high"));
        assert!(!t.reasoning.rewrite);
        assert_eq!(t.reasoning.unsupported, crate::policy::UnsupportedParams::Reject);
        assert_eq!(t.cache.ttl, std::time::Duration::from_secs(600));
        assert!(
            !t.cache.enabled,
            "an environment override applies to the team's table"
        );
        assert_eq!(t.budget.tokens_per_day, Some(10));
        assert_eq!(t.budget.tokens_per_month, Some(1000));
        assert_eq!(t.budget.on_exceeded, crate::policy::OnBudget::Downgrade);
        // A team without a policy table shares the default policy.
        assert!(Arc::ptr_eq(cfg.policy_for("plain"), &cfg.default_policy));
        assert_eq!(cfg.default_policy.routed_models, ["auto", "gpt-4o"]);
        assert!(cfg.default_policy.reasoning.rewrite);
        assert_eq!(cfg.default_policy.budget.tokens_per_day, None);
    }

    #[test]
    fn a_teams_own_bad_policy_value_is_reported_at_the_team() {
        let all = problems(&with("[teams.t.policy]\nthreshold = \"high\"\nrpm = 5\n"));
        assert!(
            problem(&all, "teams.t.policy.threshold").contains("expected f32"),
            "{all:?}"
        );
        assert!(
            problem(&all, "teams.t.policy.rpm").contains("unknown field"),
            "{all:?}"
        );
    }

    /// Every key of the raw shapes, as a dotted path with `*` for names chosen by the user
    /// (`upstreams.*.base_url`) and `[]` for array elements.
    fn raw_key_paths() -> Vec<String> {
        use raw::*;
        // Every container holds one element, so the walk reaches every nested key; leaf structs
        // come from `Default` (serde_json writes unset options as null, so their keys appear).
        let upstream = RawUpstream {
            base_url: "http://x/v1".into(),
            api_key_env: None,
            connect_timeout: HumanDuration::secs(1),
            request_timeout: HumanDuration::secs(1),
            stream_idle_timeout: HumanDuration::secs(1),
            stream_total_timeout: HumanDuration::secs(1),
            pool_idle_timeout: HumanDuration::secs(1),
            pool_max_idle_per_host: 1,
            api: UpstreamApi::Chat,
            http2: UpstreamHttp2::Auto,
            ca_file: Some("ca.pem".into()),
        };
        let model = RawModel {
            upstream: None,
            name: None,
            deployments: vec![RawDeployment {
                upstream: "u".into(),
                name: None,
            }],
            kind: ModelKind::Chat,
            price: Some(RawPrice {
                input: 0.0,
                output: 0.0,
                cached_input: None,
            }),
            structured_outputs: None,
        };
        let team = RawTeam {
            keys: vec![RawKey {
                sha256: String::new(),
                label: None,
            }],
            policy: Some(RawPolicy::default()),
        };
        let raw = RawConfig {
            server: RawServer {
                tls: Some(RawTls {
                    cert: String::new(),
                    key: String::new(),
                }),
                ..RawServer::default()
            },
            upstreams: [("*".to_string(), upstream)].into(),
            models: [("*".to_string(), model)].into(),
            teams: [("*".to_string(), team)].into(),
            ..RawConfig::default()
        };
        let mut paths = Vec::new();
        walk(&serde_json::to_value(&raw).unwrap(), String::new(), &mut paths);
        // Reasoning profiles belong to `rewrite` and are not serialised: their deserialiser
        // names every field it accepts in its unknown-field error.
        let e = toml::from_str::<crate::rewrite::ModelProfile>("zz_probe = 1").unwrap_err();
        let msg = e.message().to_string();
        let fields = msg.split_once("expected one of").expect("unknown-field error").1;
        for f in fields.split('`').skip(1).step_by(2) {
            paths.push(format!("reasoning_profiles[].{f}"));
        }
        paths
    }

    fn walk(v: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(v, p, out);
                }
            }
            serde_json::Value::Array(a) if a.iter().any(|x| x.is_object()) => {
                for x in a {
                    walk(x, format!("{path}[]"), out);
                }
            }
            _ => out.push(path),
        }
    }

    /// The documented file with its commented-out TOML lines (`# key = value`, `# [table]`)
    /// switched on, parsed.
    fn documented_tree() -> toml::Table {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/gearbox.toml");
        let text = std::fs::read_to_string(path).unwrap();
        // A comment is switched on when it is TOML on its own: prose never parses.
        let looks_like_toml = |l: &str| !l.trim().is_empty() && toml::from_str::<toml::Table>(l).is_ok();
        let on: Vec<&str> = text
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest) if looks_like_toml(rest) => rest.trim_start(),
                _ => l,
            })
            .collect();
        toml::from_str(&on.join("\n")).unwrap_or_else(|e| panic!("uncommented config/gearbox.toml: {e}"))
    }

    /// Does the documented tree hold `path`? `*` matches any name; a team's policy is the same
    /// shape as `[policy]` and documented there.
    fn documents(tree: &toml::Table, path: &str) -> bool {
        let path = path.replacen("teams.*.policy.", "policy.", 1);
        let mut here = vec![toml::Value::Table(tree.clone())];
        for part in path.split('.') {
            let (key, array) = match part.strip_suffix("[]") {
                Some(k) => (k, true),
                None => (part, false),
            };
            let mut next = Vec::new();
            for v in &here {
                let Some(t) = v.as_table() else { continue };
                let found: Vec<&toml::Value> = if key == "*" {
                    t.values().collect()
                } else {
                    t.get(key).into_iter().collect()
                };
                for f in found {
                    match (array, f) {
                        (true, toml::Value::Array(items)) => next.extend(items.iter().cloned()),
                        (false, f) => next.push(f.clone()),
                        _ => {}
                    }
                }
            }
            here = next;
        }
        !here.is_empty()
    }

    #[test]
    fn every_raw_key_is_documented_in_the_example_config() {
        let tree = documented_tree();
        let paths = raw_key_paths();
        assert!(paths.len() > 80, "the walk missed keys: {paths:?}");
        let mut missing: Vec<String> = paths
            .iter()
            .filter(|p| !documents(&tree, p))
            .map(|p| p.replacen("teams.*.policy.", "policy.", 1))
            .collect();
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "config/gearbox.toml does not document (set or as a `# key = value` comment): {missing:#?}"
        );
    }
}
