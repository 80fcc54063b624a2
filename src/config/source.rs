//! Where the raw configuration comes from: the TOML text, overlaid with `GEARBOX_*` variables
//! (figment), then extracted into [`RawConfig`] with every problem reported, not just the first.
//!
//! Invariant: the environment is read only through an [`EnvSource`], so tests can load a
//! configuration without touching the process environment.

use super::{policy, ConfigErrors, RawConfig};
use figment::providers::{Format, Toml};
use figment::Figment;
use std::collections::{BTreeMap, HashMap};

/// A source of environment variables, so tests can validate without touching the process env.
pub trait EnvSource {
    fn var(&self, name: &str) -> Option<String>;
    /// All variables starting with `GEARBOX_`.
    fn gearbox_vars(&self) -> Vec<(String, String)>;
}

/// The real process environment.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn gearbox_vars(&self) -> Vec<(String, String)> {
        std::env::vars()
            .filter(|(k, _)| k.starts_with("GEARBOX_"))
            .collect()
    }
}

/// A fixed map of variables (tests).
impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.is_empty())
    }
    fn gearbox_vars(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .iter()
            .filter(|(k, _)| k.starts_with("GEARBOX_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        v.sort();
        v
    }
}

/// Variables that configure the process, not the config tree (`GEARBOX_CLIENT_KEY` and
/// `GEARBOX_METRICS_TOKEN` hold secrets that `auth.key_env` / `metrics.bearer_token_env` name).
const NON_TREE_VARS: &[&str] = &[
    "GEARBOX_CONFIG",
    "GEARBOX_LOG",
    "GEARBOX_MOCK_API_KEY",
    "GEARBOX_CLIENT_KEY",
    "GEARBOX_METRICS_TOKEN",
];

/// The TOML text with the `GEARBOX_*` overrides laid over it, as one tree.
pub(super) fn layered(text: &str, env: &dyn EnvSource) -> Result<toml::Table, ConfigErrors> {
    // figment's Env provider reads the process environment; to keep `load` testable with a fake
    // environment, the variables come from `env` and are parsed like figment's (TOML scalars,
    // else strings), with `__` separating levels.
    Figment::from(Toml::string(text))
        .merge(env_provider(env))
        .extract::<toml::Table>()
        .map_err(|e| {
            let mut errs = ConfigErrors::default();
            for err in e {
                let path = if err.path.is_empty() {
                    "(root)".to_string()
                } else {
                    err.path.join(".")
                };
                errs.push(path, err.kind.to_string());
            }
            errs
        })
}

fn env_provider(env: &dyn EnvSource) -> figment::providers::Serialized<BTreeMap<String, toml::Value>> {
    // Build a nested map from GEARBOX_A__B=value, parsing values like figment's Env does
    // (TOML scalars, falling back to strings).
    let mut root: BTreeMap<String, toml::Value> = BTreeMap::new();
    for (k, v) in env.gearbox_vars() {
        if NON_TREE_VARS.contains(&k.as_str()) {
            continue;
        }
        let Some(rest) = k.strip_prefix("GEARBOX_") else {
            continue;
        };
        let parts: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        insert_path(&mut root, &parts, parse_env_value(&v));
    }
    figment::providers::Serialized::defaults(root)
}

fn parse_env_value(v: &str) -> toml::Value {
    let probe = format!("x = {v}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("x")
            .unwrap_or_else(|| toml::Value::String(v.to_string())),
        Err(_) => toml::Value::String(v.to_string()),
    }
}

fn insert_path(map: &mut BTreeMap<String, toml::Value>, parts: &[String], value: toml::Value) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return;
    }
    let entry = map
        .entry(first.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    if let toml::Value::Table(t) = entry {
        let mut inner: BTreeMap<String, toml::Value> = std::mem::take(t).into_iter().collect();
        insert_path(&mut inner, rest, value);
        *t = inner.into_iter().collect();
    }
}

/// Most problems reported from one extraction; past this the file is probably not a config.
const MAX_PROBLEMS: usize = 100;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Extract the raw shapes from the layered tree, after team policies inherit `[policy]`.
///
/// serde stops at the first bad value, so on an error the value is recorded with its path,
/// removed from the tree, and extraction runs again: every bad value is reported at once, and
/// validation then still checks the rest (a removed value takes its default, as if unset).
/// When a whole table had to go (a required key missing, or a table of the wrong type; in an
/// array of tables, the array goes), what validation would say about the remainder would
/// mislead, so no raw config is returned.
pub(super) fn extract(mut tree: toml::Table, errs: &mut ConfigErrors) -> Option<RawConfig> {
    // The tree as written, to tell a team's own policy keys from those it inherits: a bad
    // inherited value is reported once, at `policy.*`, not again for every team.
    let written = tree.clone();
    policy::inherit(&mut tree);
    let mut complete = true;
    for _ in 0..MAX_PROBLEMS {
        let value = toml::Value::Table(tree.clone());
        let err = match serde_path_to_error::deserialize::<_, RawConfig>(value) {
            Ok(raw) => return complete.then_some(raw),
            Err(err) => err,
        };
        let path = steps(err.path());
        if !inherited(&written, &path) {
            errs.push(display(&path), err.inner().message().to_string());
        }
        match remove(&mut tree, &path) {
            Some(toml::Value::Table(_)) => complete = false,
            Some(toml::Value::Array(items)) if items.iter().any(toml::Value::is_table) => complete = false,
            Some(_) => {}
            // Nothing to remove (a problem with the root): no way to go on.
            None => return None,
        }
    }
    None
}

fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|s| match s {
            Segment::Seq { index } => Step::Index(*index),
            Segment::Map { key } => Step::Key(key.clone()),
            Segment::Enum { variant } => Step::Key(variant.clone()),
            Segment::Unknown => Step::Key("?".into()),
        })
        .collect()
}

/// `a.b[0].c`, the form validation uses too.
fn display(path: &[Step]) -> String {
    if path.is_empty() {
        return "(root)".into();
    }
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Is `path` a key of `teams.NAME.policy` that the team did not write (so it came from
/// `[policy]`, whose own extraction reports it)?
fn inherited(written: &toml::Table, path: &[Step]) -> bool {
    match path {
        [Step::Key(teams), Step::Key(_), Step::Key(policy), _, ..]
            if teams == "teams" && policy == "policy" =>
        {
            lookup(written, path).is_none()
        }
        _ => false,
    }
}

fn lookup<'a>(table: &'a toml::Table, path: &[Step]) -> Option<&'a toml::Value> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    rest.iter()
        .try_fold(table.get(first)?, |v, step| match (v, step) {
            (toml::Value::Table(t), Step::Key(k)) => t.get(k),
            (toml::Value::Array(a), Step::Index(i)) => a.get(*i),
            _ => None,
        })
}

/// Remove the value at `path`. An array element takes its whole array with it, so the indices
/// of later problems still match the file.
fn remove(table: &mut toml::Table, path: &[Step]) -> Option<toml::Value> {
    let cut = path.iter().rposition(|s| matches!(s, Step::Key(_)))?;
    let (parent, last) = (&path[..cut], &path[cut]);
    let Step::Key(key) = last else {
        return None;
    };
    let mut here = table;
    let mut steps = parent.iter();
    while let Some(step) = steps.next() {
        let Step::Key(k) = step else {
            return None;
        };
        let next = here.get_mut(k)?;
        here = match (next, steps.as_slice().first()) {
            (toml::Value::Array(items), Some(Step::Index(i))) => {
                steps.next();
                items.get_mut(*i)?.as_table_mut()?
            }
            (toml::Value::Table(t), _) => t,
            _ => return None,
        };
    }
    here.remove(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Step {
        Step::Key(s.into())
    }

    #[test]
    fn remove_takes_the_key_or_the_whole_array() {
        let mut t: toml::Table = toml::from_str(
            "[server]\nlisten = 1\n[[teams.a.keys]]\nsha256 = 2\n[policy]\nrouted_models = [\"a\", 3]\n",
        )
        .unwrap();
        assert!(remove(&mut t, &[k("server"), k("listen")]).is_some());
        assert!(remove(
            &mut t,
            &[k("teams"), k("a"), k("keys"), Step::Index(0), k("sha256")]
        )
        .is_some());
        assert!(remove(&mut t, &[k("policy"), k("routed_models"), Step::Index(1)]).is_some());
        assert!(remove(&mut t, &[]).is_none());
        assert!(lookup(&t, &[k("server")]).is_some_and(|v| v.as_table().is_some_and(|t| t.is_empty())));
        let key = [k("teams"), k("a"), k("keys"), Step::Index(0)];
        assert!(lookup(&t, &key).is_some_and(|v| v.as_table().is_some_and(|t| t.is_empty())));
        assert!(lookup(&t, &[k("policy"), k("routed_models")]).is_none());
    }

    #[test]
    fn paths_display_like_validation_paths() {
        assert_eq!(
            display(&[k("teams"), k("t"), k("keys"), Step::Index(0), k("sha256")]),
            "teams.t.keys[0].sha256"
        );
        assert_eq!(display(&[]), "(root)");
    }
}
