//! Parameter and role translation for reasoning models: turns a Chat Completions request into
//! one the target profile accepts (`max_tokens` -> `max_completion_tokens` with a floor,
//! unsupported sampling/output parameters dropped or rejected, system prompt re-roled or merged,
//! default `reasoning_effort` filled in).
//!
//! Invariant: pure (no IO) and total: any request translates or yields a [`ParamRejection`]
//! naming the parameter; `req.extra` and message contents other than role placement are never
//! touched, and nothing is changed when a rejection is returned.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::profile::{fix_roles, ModelProfile, RoleFix};
use crate::api::{ChatRequest, Role};

/// What to do with a parameter the model would reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsupported {
    /// Remove it and carry on (recorded in [`Translation`]).
    #[default]
    Drop,
    /// Refuse the request with a [`ParamRejection`] (the gateway answers 400).
    Reject,
}

/// Gateway-wide policy for translation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParamPolicy {
    pub on_unsupported: Unsupported,
    /// Floor for `max_completion_tokens`: reasoning tokens count against the cap, and a small
    /// cap returns empty content.
    pub min_completion_tokens: u64,
    /// Sent as `reasoning_effort` when the client set none and the profile supports it.
    pub default_reasoning_effort: Option<String>,
}

impl Default for ParamPolicy {
    fn default() -> Self {
        ParamPolicy {
            on_unsupported: Unsupported::Drop,
            min_completion_tokens: 4096,
            default_reasoning_effort: None,
        }
    }
}

/// What happened to one parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum ChangeAction {
    /// Removed because the model does not accept it.
    Dropped,
    /// Removed because its value was the model's fixed default anyway (e.g. `logprobs:false`).
    DroppedNoOp,
    /// Moved to another field name.
    Renamed { to: String },
    /// Raised to the policy floor.
    Raised { from: u64, to: u64 },
    /// Filled in from the policy.
    Defaulted { value: String },
    /// A message role was changed (`system` -> `developer`, ...).
    Reroled { from: String, to: String },
    /// A system/developer message was merged into the first user message.
    MergedIntoUser { from: String },
}

impl ChangeAction {
    /// A fixed metric label for the action.
    pub fn label(&self) -> &'static str {
        match self {
            ChangeAction::Dropped => "dropped",
            ChangeAction::DroppedNoOp => "dropped_noop",
            ChangeAction::Renamed { .. } => "renamed",
            ChangeAction::Raised { .. } => "raised",
            ChangeAction::Defaulted { .. } => "defaulted",
            ChangeAction::Reroled { .. } => "reroled",
            ChangeAction::MergedIntoUser { .. } => "merged_into_user",
        }
    }
}

/// One change made by [`translate`], for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamChange {
    /// Request field name, or `messages` for role changes.
    pub param: String,
    #[serde(flatten)]
    pub action: ChangeAction,
}

/// Everything [`translate`] changed, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Translation {
    pub changes: Vec<ParamChange>,
}

impl Translation {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
    /// True when `param` was changed in any way.
    pub fn touched(&self, param: &str) -> bool {
        self.changes.iter().any(|c| c.param == param)
    }
    fn push(&mut self, param: &str, action: ChangeAction) {
        self.changes.push(ParamChange {
            param: param.to_string(),
            action,
        });
    }
}

/// A parameter the model does not accept, under [`Unsupported::Reject`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRejection {
    pub param: String,
    pub message: String,
}

impl fmt::Display for ParamRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

impl std::error::Error for ParamRejection {}

/// Whether an unsupported parameter's value changes behaviour (then `Reject` refuses it) or is
/// the model's fixed default (then it is always dropped quietly).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Meaningful,
    NoOp,
}

/// The first parameter `policy` would reject for `profile`, without changing anything.
pub fn check(req: &ChatRequest, profile: &ModelProfile, policy: &ParamPolicy) -> Result<(), ParamRejection> {
    if policy.on_unsupported != Unsupported::Reject {
        return Ok(());
    }
    let unsupported = collect_unsupported(req, profile);
    match unsupported.iter().find(|(_, w)| *w == Weight::Meaningful) {
        Some((param, _)) => Err(ParamRejection {
            param: (*param).to_string(),
            message: format!(
                "`{param}` is not supported by reasoning model `{}` (profile `{}`)",
                req.model, profile.name
            ),
        }),
        None => Ok(()),
    }
}

/// Translates `req` in place for `profile`. On rejection the request is left unchanged.
pub fn translate(
    req: &mut ChatRequest,
    profile: &ModelProfile,
    policy: &ParamPolicy,
) -> Result<Translation, ParamRejection> {
    check(req, profile, policy)?;
    let unsupported = collect_unsupported(req, profile);
    let mut out = Translation::default();
    for (param, weight) in unsupported {
        clear(req, param);
        let action = match weight {
            Weight::Meaningful => ChangeAction::Dropped,
            Weight::NoOp => ChangeAction::DroppedNoOp,
        };
        out.push(param, action);
    }
    cap_tokens(req, profile, policy, &mut out);
    if profile.supports_reasoning_effort && req.reasoning_effort.is_none() {
        if let Some(effort) = &policy.default_reasoning_effort {
            req.reasoning_effort = Some(effort.clone());
            out.push(
                "reasoning_effort",
                ChangeAction::Defaulted {
                    value: effort.clone(),
                },
            );
        }
    }
    for fix in fix_roles(req, profile) {
        let action = match fix {
            RoleFix::Renamed { from, to } => ChangeAction::Reroled {
                from: role_name(from).into(),
                to: role_name(to).into(),
            },
            RoleFix::Merged { from } => ChangeAction::MergedIntoUser {
                from: role_name(from).into(),
            },
        };
        out.push("messages", action);
    }
    Ok(out)
}

pub(crate) fn role_name(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        Role::Function => "function",
    }
}

/// Parameters present on `req` that `profile` does not accept, in a fixed order.
fn collect_unsupported(req: &ChatRequest, p: &ModelProfile) -> Vec<(&'static str, Weight)> {
    use Weight::{Meaningful, NoOp};
    let weigh = |noop: bool| if noop { NoOp } else { Meaningful };
    let mut out = Vec::new();
    if !p.supports_temperature {
        if let Some(t) = req.temperature {
            // temperature == 1 is the fixed value and is accepted as sent.
            if t != 1.0 {
                out.push(("temperature", Meaningful));
            }
        }
    }
    if !p.supports_top_p {
        if let Some(v) = req.top_p {
            out.push(("top_p", weigh(v == 1.0)));
        }
    }
    if !p.supports_penalties {
        if let Some(v) = req.presence_penalty {
            out.push(("presence_penalty", weigh(v == 0.0)));
        }
        if let Some(v) = req.frequency_penalty {
            out.push(("frequency_penalty", weigh(v == 0.0)));
        }
    }
    if !p.supports_logprobs {
        if let Some(v) = req.logprobs {
            out.push(("logprobs", weigh(!v)));
        }
        if let Some(v) = req.top_logprobs {
            out.push(("top_logprobs", weigh(v == 0)));
        }
    }
    if !p.supports_logit_bias {
        if let Some(v) = &req.logit_bias {
            out.push(("logit_bias", weigh(v.is_empty())));
        }
    }
    if !p.supports_stop {
        if let Some(v) = &req.stop {
            let empty = v.is_null()
                || v.as_array().is_some_and(|a| a.is_empty())
                || v.as_str().is_some_and(str::is_empty);
            out.push(("stop", weigh(empty)));
        }
    }
    if !p.supports_n {
        if let Some(n) = req.n {
            out.push(("n", weigh(n <= 1)));
        }
    }
    if !p.supports_reasoning_effort && req.reasoning_effort.is_some() {
        out.push(("reasoning_effort", Meaningful));
    }
    if !p.supports_structured_output {
        if let Some(v) = &req.response_format {
            let kind = v.get("type").and_then(serde_json::Value::as_str).unwrap_or("");
            if kind != "text" && !v.is_null() {
                out.push(("response_format", Meaningful));
            } else {
                out.push(("response_format", NoOp));
            }
        }
    }
    out
}

fn clear(req: &mut ChatRequest, param: &str) {
    match param {
        "temperature" => req.temperature = None,
        "top_p" => req.top_p = None,
        "presence_penalty" => req.presence_penalty = None,
        "frequency_penalty" => req.frequency_penalty = None,
        "logprobs" => req.logprobs = None,
        "top_logprobs" => req.top_logprobs = None,
        "logit_bias" => req.logit_bias = None,
        "stop" => req.stop = None,
        "n" => req.n = None,
        "reasoning_effort" => req.reasoning_effort = None,
        "response_format" => req.response_format = None,
        _ => {}
    }
}

/// `max_tokens` -> `max_completion_tokens` (the latter wins when both are set), then the floor.
fn cap_tokens(req: &mut ChatRequest, p: &ModelProfile, policy: &ParamPolicy, out: &mut Translation) {
    let (field, value) = if p.use_max_completion_tokens {
        if let Some(v) = req.max_tokens.take() {
            if req.max_completion_tokens.is_none() {
                req.max_completion_tokens = Some(v);
                out.push(
                    "max_tokens",
                    ChangeAction::Renamed {
                        to: "max_completion_tokens".into(),
                    },
                );
            } else {
                out.push("max_tokens", ChangeAction::Dropped);
            }
        }
        ("max_completion_tokens", &mut req.max_completion_tokens)
    } else {
        if let Some(v) = req.max_completion_tokens.take() {
            if req.max_tokens.is_none() {
                req.max_tokens = Some(v);
                out.push(
                    "max_completion_tokens",
                    ChangeAction::Renamed {
                        to: "max_tokens".into(),
                    },
                );
            } else {
                out.push("max_completion_tokens", ChangeAction::Dropped);
            }
        }
        ("max_tokens", &mut req.max_tokens)
    };
    if let Some(v) = value {
        if *v < policy.min_completion_tokens {
            out.push(
                field,
                ChangeAction::Raised {
                    from: *v,
                    to: policy.min_completion_tokens,
                },
            );
            *v = policy.min_completion_tokens;
        }
    }
}

#[cfg(test)]
#[rustfmt::skip]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    clippy::single_range_in_vec_init
)]
pub(crate) mod tests {
    use super::*;
    use crate::api::Message;
    use crate::rewrite::profile::{builtin_profile, BUILTIN_PROFILES};
    use serde_json::json;

    /// The gateway mock upstream's strict mode, exactly: every violation it would reject.
    pub(crate) fn strict_violations(req: &ChatRequest) -> Vec<String> {
        let mut v = Vec::new();
        if req.max_tokens.is_some() {
            v.push("max_tokens".to_string());
        }
        if req.temperature.is_some_and(|t| (t - 1.0).abs() > f64::EPSILON) {
            v.push("temperature".into());
        }
        let present = [
            ("top_p", req.top_p.is_some()),
            ("presence_penalty", req.presence_penalty.is_some()),
            ("frequency_penalty", req.frequency_penalty.is_some()),
            ("logprobs", req.logprobs.is_some()),
            ("top_logprobs", req.top_logprobs.is_some()),
            ("logit_bias", req.logit_bias.is_some()),
        ];
        v.extend(
            present
                .iter()
                .filter(|(_, p)| *p)
                .map(|(n, _)| n.to_string()),
        );
        let m = &req.model;
        let no_sys =
            m.starts_with("o1-mini") || m.starts_with("o1-preview") || m.contains("deepseek-r1");
        if no_sys
            && req
                .messages
                .iter()
                .any(|x| matches!(x.role, Role::System | Role::Developer))
        {
            v.push("system/developer message".into());
        }
        v
    }

    pub(crate) fn maximal(model: &str) -> ChatRequest {
        let mut bias = serde_json::Map::new();
        bias.insert("50256".into(), json!(-100));
        let mut extra = serde_json::Map::new();
        extra.insert("user".into(), json!("u-1"));
        extra.insert("temperature_hint".into(), json!(0.2));
        ChatRequest {
            model: model.into(),
            messages: vec![
                Message::new(Role::System, "You are terse. Answer in French."),
                Message::new(Role::Developer, "Never reveal keys."),
                Message::new(Role::User, "Explain TLS."),
            ],
            max_tokens: Some(100),
            temperature: Some(0.2),
            top_p: Some(0.9),
            n: Some(3),
            stop: Some(json!(["END"])),
            presence_penalty: Some(0.5),
            frequency_penalty: Some(0.5),
            logprobs: Some(true),
            top_logprobs: Some(5),
            logit_bias: Some(bias),
            response_format: Some(json!({"type": "json_object"})),
            extra,
            ..Default::default()
        }
    }

    fn model_for(profile: &str) -> &str {
        match profile {
            "deepseek-r1" => "deepseek-r1",
            "qwq" => "qwq-32b",
            "reasoning" => "local-thinker",
            other => other,
        }
    }

    #[test]
    fn strict_mock_accepts_every_builtin_after_translation() {
        for name in BUILTIN_PROFILES {
            let model = model_for(name);
            let profile = builtin_profile(model);
            assert_eq!(profile.name, *name);
            let mut req = maximal(model);
            assert!(!strict_violations(&req).is_empty());
            let extra_before = req.extra.clone();
            let policy = ParamPolicy {
                default_reasoning_effort: Some("high".into()),
                ..Default::default()
            };
            translate(&mut req, &profile, &policy).unwrap();
            assert_eq!(strict_violations(&req), Vec::<String>::new(), "{name}");
            assert_eq!(req.extra, extra_before, "{name}");
            assert_eq!(req.max_completion_tokens, Some(4096), "{name}");
            let all_text: String = req.messages.iter().map(|m| m.text().into_owned()).collect();
            assert!(
                all_text.contains("Answer in French.") && all_text.contains("Never reveal keys.")
            );
        }
    }

    #[test]
    fn strict_mock_accepts_rewritten_maximal_request() {
        for name in BUILTIN_PROFILES {
            let model = model_for(name);
            let profile = builtin_profile(model);
            let mut req = maximal(model);
            crate::rewrite::rewrite(&mut req, &profile);
            translate(&mut req, &profile, &ParamPolicy::default()).unwrap();
            assert_eq!(strict_violations(&req), Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn per_profile_translation_table() {
        // (model, n kept, stop kept, response_format kept, effort defaulted, system role after)
        let cases: &[(&str, bool, bool, bool, bool, Option<Role>)] = &[
            ("o1-mini", false, false, false, false, None),
            ("o1-preview", false, false, false, false, None),
            ("o1", true, false, true, true, Some(Role::Developer)),
            ("o3-mini", true, false, true, true, Some(Role::Developer)),
            ("o3", true, false, true, true, Some(Role::Developer)),
            ("o4-mini", true, false, true, true, Some(Role::Developer)),
            ("gpt-5", true, false, true, true, Some(Role::Developer)),
            ("deepseek-r1", false, true, false, false, None),
            ("qwq-32b", true, true, true, false, Some(Role::System)),
            ("local-thinker", true, true, true, false, Some(Role::System)),
        ];
        let policy = ParamPolicy {
            default_reasoning_effort: Some("medium".into()),
            ..Default::default()
        };
        for (model, n, stop, rf, effort, role) in cases {
            let mut req = maximal(model);
            let t = translate(&mut req, &builtin_profile(model), &policy).unwrap();
            assert_eq!(req.n.is_some(), *n, "{model} n");
            assert_eq!(req.stop.is_some(), *stop, "{model} stop");
            assert_eq!(
                req.response_format.is_some(),
                *rf,
                "{model} response_format"
            );
            assert_eq!(req.reasoning_effort.is_some(), *effort, "{model} effort");
            assert_eq!(
                req.messages
                    .first()
                    .map(|m| m.role)
                    .filter(|r| *r != Role::User),
                *role
            );
            assert!(
                t.touched("max_tokens") && t.touched("temperature"),
                "{model}"
            );
        }
    }

    #[test]
    fn reject_policy_names_the_param() {
        let reject = ParamPolicy {
            on_unsupported: Unsupported::Reject,
            ..Default::default()
        };
        let cases: &[(&str, fn(&mut ChatRequest), &str)] = &[
            ("o3", |r| r.temperature = Some(0.3), "temperature"),
            ("o3", |r| r.top_p = Some(0.5), "top_p"),
            ("o1", |r| r.presence_penalty = Some(1.0), "presence_penalty"),
            ("o1", |r| r.frequency_penalty = Some(-1.0), "frequency_penalty"),
            ("gpt-5", |r| r.logprobs = Some(true), "logprobs"),
            ("gpt-5", |r| r.top_logprobs = Some(2), "top_logprobs"),
            ("o4-mini", |r| r.stop = Some(json!("\n")), "stop"),
            ("o1-mini", |r| r.n = Some(2), "n"),
            ("deepseek-r1", |r| r.reasoning_effort = Some("high".into()), "reasoning_effort"),
            ("o1-mini", |r| r.response_format = Some(json!({"type":"json_schema"})), "response_format"),
        ];
        for (model, set, param) in cases {
            let mut req = ChatRequest {
                model: model.to_string(),
                ..Default::default()
            };
            set(&mut req);
            let before = req.clone();
            let err = translate(&mut req, &builtin_profile(model), &reject).unwrap_err();
            assert_eq!(err.param, *param);
            assert!(err.message.contains(param) && err.to_string().starts_with(param));
            assert_eq!(req, before, "request untouched on rejection");
        }
    }

    #[test]
    fn reject_policy_still_drops_noop_values() {
        let reject = ParamPolicy {
            on_unsupported: Unsupported::Reject,
            ..Default::default()
        };
        let mut req = ChatRequest {
            model: "o3".into(),
            temperature: Some(1.0),
            top_p: Some(1.0),
            logprobs: Some(false),
            presence_penalty: Some(0.0),
            n: Some(1),
            ..Default::default()
        };
        let t = translate(&mut req, &builtin_profile("o3"), &reject).unwrap();
        assert_eq!(req.temperature, Some(1.0));
        assert!(req.top_p.is_none() && req.logprobs.is_none() && req.presence_penalty.is_none());
        assert!(t
            .changes
            .iter()
            .all(|c| c.action == ChangeAction::DroppedNoOp));
        assert!(strict_violations(&req).is_empty());
    }

    #[test]
    fn max_tokens_rename_and_floor() {
        // (max_tokens, max_completion_tokens, floor, expected max_completion_tokens)
        let cases: &[(Option<u64>, Option<u64>, u64, Option<u64>)] = &[
            (Some(100), None, 4096, Some(4096)),
            (Some(10_000), None, 4096, Some(10_000)),
            (None, Some(50), 1024, Some(1024)),
            (Some(100), Some(8000), 1024, Some(8000)),
            (None, None, 4096, None),
            (Some(0), None, 0, Some(0)),
        ];
        for (mt, mct, floor, want) in cases {
            let mut req = ChatRequest {
                model: "o3".into(),
                max_tokens: *mt,
                max_completion_tokens: *mct,
                ..Default::default()
            };
            let policy = ParamPolicy {
                min_completion_tokens: *floor,
                ..Default::default()
            };
            translate(&mut req, &builtin_profile("o3"), &policy).unwrap();
            assert_eq!(req.max_tokens, None);
            assert_eq!(req.max_completion_tokens, *want, "{mt:?} {mct:?}");
        }
    }

    #[test]
    fn client_effort_kept_and_changes_listed() {
        let policy = ParamPolicy {
            default_reasoning_effort: Some("low".into()),
            ..Default::default()
        };
        let mut req = ChatRequest {
            model: "o3".into(),
            reasoning_effort: Some("high".into()),
            ..Default::default()
        };
        let t = translate(&mut req, &builtin_profile("o3"), &policy).unwrap();
        assert_eq!(req.reasoning_effort.as_deref(), Some("high"));
        assert!(t.is_empty());
        let mut req = maximal("o1-mini");
        let t = translate(&mut req, &builtin_profile("o1-mini"), &policy).unwrap();
        let json = serde_json::to_value(&t).unwrap();
        assert!(json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["action"] == "merged_into_user"));
        assert!(t.changes.contains(&ParamChange {
            param: "max_completion_tokens".into(),
            action: ChangeAction::Raised {
                from: 100,
                to: 4096
            }
        }));
    }
}
