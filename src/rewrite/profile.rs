//! Reasoning-model capability profiles: what each model family accepts (roles, sampling
//! parameters, output controls) and how it wants its prompt laid out.
//!
//! Invariant: pure data and pure functions. No IO; every lookup returns a profile (the generic
//! `reasoning` profile when nothing matches) and nothing here can fail on any model name.

use serde::Deserialize;

use crate::api::{ChatRequest, Content, Message, Role};

/// Where a system prompt goes for this model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemRole {
    /// Sent as a `developer` message (OpenAI o1 / o3 / o4 / gpt-5).
    Developer,
    /// Sent as a `system` message (most open-weight servers).
    System,
    /// The model accepts neither: the text is prepended to the first user message.
    MergeIntoUser,
}

/// How the goal-form rewrite lays out a request for this model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One user message with delimited sections, plus an optional developer/system message.
    Sections,
    /// Everything in the user turn, no system/developer message (DeepSeek-R1 style).
    UserOnly,
}

/// What a reasoning model accepts. Config entries deserialize into this; every field has a
/// default (the generic `reasoning` profile), and unknown fields are rejected.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelProfile {
    /// Profile name; for config entries also the model-name prefix it applies to.
    pub name: String,
    pub system_role: SystemRole,
    pub layout: Layout,
    /// `temperature` values other than 1 are accepted.
    pub supports_temperature: bool,
    pub supports_top_p: bool,
    /// `presence_penalty` and `frequency_penalty`.
    pub supports_penalties: bool,
    /// `logprobs` and `top_logprobs`.
    pub supports_logprobs: bool,
    pub supports_logit_bias: bool,
    pub supports_stop: bool,
    /// `n` greater than 1.
    pub supports_n: bool,
    pub supports_reasoning_effort: bool,
    /// `response_format` of type `json_object` / `json_schema`.
    pub supports_structured_output: bool,
    /// Send the output cap as `max_completion_tokens` (never `max_tokens`).
    pub use_max_completion_tokens: bool,
}

impl Default for ModelProfile {
    fn default() -> Self {
        generic("reasoning")
    }
}

fn generic(name: &str) -> ModelProfile {
    ModelProfile {
        name: name.to_string(),
        system_role: SystemRole::System,
        layout: Layout::Sections,
        supports_temperature: false,
        supports_top_p: false,
        supports_penalties: false,
        supports_logprobs: false,
        supports_logit_bias: false,
        supports_stop: true,
        supports_n: true,
        supports_reasoning_effort: false,
        supports_structured_output: true,
        use_max_completion_tokens: true,
    }
}

fn openai(name: &str, system_role: SystemRole, effort: bool, structured: bool) -> ModelProfile {
    ModelProfile {
        system_role,
        supports_stop: false,
        supports_n: effort,
        supports_reasoning_effort: effort,
        supports_structured_output: structured,
        ..generic(name)
    }
}

/// Names of every built-in profile, in lookup order (for tests and docs).
pub const BUILTIN_PROFILES: &[&str] = &[
    "o1-mini",
    "o1-preview",
    "o1",
    "o3-mini",
    "o3",
    "o4-mini",
    "gpt-5",
    "deepseek-r1",
    "qwq",
    "reasoning",
];

/// The built-in profile for a model name, chosen by family prefix (case-insensitive, a
/// `provider/` prefix is ignored); the generic `reasoning` profile when no family matches.
pub fn builtin_profile(model_name: &str) -> ModelProfile {
    let lower = model_name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(lower.as_str());
    if base.starts_with("o1-mini") {
        openai("o1-mini", SystemRole::MergeIntoUser, false, false)
    } else if base.starts_with("o1-preview") {
        openai("o1-preview", SystemRole::MergeIntoUser, false, false)
    } else if base.starts_with("o1") {
        openai("o1", SystemRole::Developer, true, true)
    } else if base.starts_with("o3-mini") {
        openai("o3-mini", SystemRole::Developer, true, true)
    } else if base.starts_with("o3") {
        openai("o3", SystemRole::Developer, true, true)
    } else if base.starts_with("o4-mini") {
        openai("o4-mini", SystemRole::Developer, true, true)
    } else if base.starts_with("gpt-5") {
        openai("gpt-5", SystemRole::Developer, true, true)
    } else if lower.contains("deepseek-r1") || lower.contains("-r1") || base.starts_with("r1") {
        ModelProfile {
            system_role: SystemRole::MergeIntoUser,
            layout: Layout::UserOnly,
            supports_n: false,
            supports_structured_output: false,
            ..generic("deepseek-r1")
        }
    } else if base.starts_with("qwq") || lower.contains("/qwq") {
        generic("qwq")
    } else {
        generic("reasoning")
    }
}

/// Picks the profile for `model_name`: the configured profile whose `name` is the longest
/// case-insensitive prefix of the model name, else [`builtin_profile`].
pub fn resolve_profile(model_name: &str, configured: &[ModelProfile]) -> ModelProfile {
    let lower = model_name.to_ascii_lowercase();
    configured
        .iter()
        .filter(|p| !p.name.is_empty() && lower.starts_with(&p.name.to_ascii_lowercase()))
        .max_by_key(|p| p.name.len())
        .cloned()
        .unwrap_or_else(|| builtin_profile(model_name))
}

/// True when the profile wants no system/developer message at all.
pub(crate) fn merges_system(profile: &ModelProfile) -> bool {
    profile.layout == Layout::UserOnly || profile.system_role == SystemRole::MergeIntoUser
}

/// One role fix applied by [`fix_roles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleFix {
    Renamed { from: Role, to: Role },
    Merged { from: Role },
}

/// Makes system/developer messages acceptable to the profile: renamed to the role the model
/// takes, or (merge profiles) prepended to the first user message, in order. A system message
/// with no user message to merge into becomes the user message itself. Non-text parts are kept.
pub(crate) fn fix_roles(req: &mut ChatRequest, profile: &ModelProfile) -> Vec<RoleFix> {
    let mut fixes = Vec::new();
    let is_sys = |r: Role| matches!(r, Role::System | Role::Developer);
    if !req.messages.iter().any(|m| is_sys(m.role)) {
        return fixes;
    }
    if !merges_system(profile) {
        let want = match profile.system_role {
            SystemRole::System => Role::System,
            _ => Role::Developer,
        };
        for m in req.messages.iter_mut().filter(|m| is_sys(m.role)) {
            if m.role != want {
                fixes.push(RoleFix::Renamed {
                    from: m.role,
                    to: want,
                });
                m.role = want;
            }
        }
        return fixes;
    }
    let mut merged_text = String::new();
    let mut merged_parts: Vec<serde_json::Value> = Vec::new();
    let mut kept: Vec<Message> = Vec::with_capacity(req.messages.len());
    for m in req.messages.drain(..) {
        if is_sys(m.role) {
            fixes.push(RoleFix::Merged { from: m.role });
            let text = m.text();
            if !text.trim().is_empty() {
                if !merged_text.is_empty() {
                    merged_text.push_str("\n\n");
                }
                merged_text.push_str(text.trim());
            }
            if let Some(Content::Parts(parts)) = &m.content {
                merged_parts.extend(parts.iter().filter(|p| p.get("text").is_none()).cloned());
            }
        } else {
            kept.push(m);
        }
    }
    req.messages = kept;
    if merged_text.is_empty() && merged_parts.is_empty() {
        return fixes;
    }
    match req.messages.iter_mut().find(|m| m.role == Role::User) {
        Some(user) => prepend_to(user, &merged_text, merged_parts),
        None => {
            let mut m = Message::new(Role::User, merged_text);
            if !merged_parts.is_empty() {
                let text = m.text().into_owned();
                let mut parts = vec![serde_json::json!({"type": "text", "text": text})];
                parts.extend(merged_parts);
                m.content = Some(Content::Parts(parts));
            }
            req.messages.insert(0, m);
        }
    }
    fixes
}

/// Prepends `text` (a block separated by a blank line) and extra parts to a message.
fn prepend_to(m: &mut Message, text: &str, extra_parts: Vec<serde_json::Value>) {
    match m.content.take() {
        None => m.content = Some(Content::Text(text.to_string())),
        Some(Content::Text(t)) if extra_parts.is_empty() => {
            m.content = Some(Content::Text(join_blocks(text, &t)));
        }
        Some(Content::Text(t)) => {
            let mut parts = vec![serde_json::json!({"type": "text", "text": join_blocks(text, &t)})];
            parts.extend(extra_parts);
            m.content = Some(Content::Parts(parts));
        }
        Some(Content::Parts(mut parts)) => {
            if !text.is_empty() {
                parts.insert(0, serde_json::json!({"type": "text", "text": text}));
            }
            parts.extend(extra_parts);
            m.content = Some(Content::Parts(parts));
        }
    }
}

fn join_blocks(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}\n\n{b}"),
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
mod tests {
    use super::*;

    #[test]
    fn family_lookup() {
        let cases: &[(&str, &str)] = &[
            ("o1-mini", "o1-mini"),
            ("o1-mini-2024-09-12", "o1-mini"),
            ("o1-preview", "o1-preview"),
            ("o1", "o1"),
            ("o1-2024-12-17", "o1"),
            ("o3-mini", "o3-mini"),
            ("o3-mini-high", "o3-mini"),
            ("o3", "o3"),
            ("o3-pro", "o3"),
            ("o4-mini", "o4-mini"),
            ("gpt-5", "gpt-5"),
            ("gpt-5-mini", "gpt-5"),
            ("deepseek-r1", "deepseek-r1"),
            ("DeepSeek-R1-Distill-Qwen-32B", "deepseek-r1"),
            ("deepseek-ai/DeepSeek-R1", "deepseek-r1"),
            ("acme-r1-large", "deepseek-r1"),
            ("qwq-32b", "qwq"),
            ("Qwen/QwQ-32B", "qwq"),
            ("my-thinker", "reasoning"),
            ("", "reasoning"),
            ("openai/o3-mini", "o3-mini"),
        ];
        for (model, want) in cases {
            assert_eq!(builtin_profile(model).name, *want, "{model}");
        }
    }

    #[test]
    fn role_per_family() {
        assert_eq!(
            builtin_profile("o1-mini").system_role,
            SystemRole::MergeIntoUser
        );
        assert_eq!(builtin_profile("o3").system_role, SystemRole::Developer);
        assert_eq!(builtin_profile("deepseek-r1").layout, Layout::UserOnly);
        assert_eq!(builtin_profile("qwq").system_role, SystemRole::System);
    }

    #[test]
    fn config_shape_deserializes_with_defaults_and_rejects_unknown() {
        let p: ModelProfile = serde_json::from_str(
            r#"{"name":"my-o","system_role":"developer","supports_reasoning_effort":true}"#,
        )
        .unwrap();
        assert_eq!(p.system_role, SystemRole::Developer);
        assert!(p.supports_reasoning_effort);
        assert_eq!(p.layout, Layout::Sections);
        assert!(!p.supports_temperature);
        let q: ModelProfile =
            serde_json::from_str(r#"{"layout":"user_only","system_role":"merge_into_user"}"#)
                .unwrap();
        assert_eq!(q.layout, Layout::UserOnly);
        assert_eq!(q.name, "reasoning");
        assert!(serde_json::from_str::<ModelProfile>(r#"{"temprature":true}"#).is_err());
        assert!(serde_json::from_str::<ModelProfile>(r#"{"system_role":"boss"}"#).is_err());
    }

    #[test]
    fn resolve_prefers_longest_configured_prefix() {
        let conf = vec![
            ModelProfile {
                name: "my".into(),
                supports_top_p: true,
                ..Default::default()
            },
            ModelProfile {
                name: "my-big".into(),
                supports_stop: false,
                ..Default::default()
            },
        ];
        assert!(!resolve_profile("my-big-model", &conf).supports_stop);
        assert!(resolve_profile("my-small", &conf).supports_top_p);
        assert_eq!(resolve_profile("o3", &conf).name, "o3");
    }

    #[test]
    fn fix_roles_merges_in_order_and_renames() {
        let mut req = ChatRequest {
            messages: vec![
                Message::new(Role::System, "A"),
                Message::new(Role::Developer, "B"),
                Message::new(Role::User, "C"),
            ],
            ..Default::default()
        };
        let mut r2 = req.clone();
        fix_roles(&mut req, &builtin_profile("o1-mini"));
        assert_eq!(req.messages.len(), 1);
        assert_eq!(req.messages[0].text(), "A\n\nB\n\nC");
        fix_roles(&mut r2, &builtin_profile("o3"));
        assert!(r2.messages[..2].iter().all(|m| m.role == Role::Developer));
        let mut only_sys = ChatRequest {
            messages: vec![Message::new(Role::System, "S")],
            ..Default::default()
        };
        fix_roles(&mut only_sys, &builtin_profile("deepseek-r1"));
        assert_eq!(only_sys.messages[0].role, Role::User);
    }
}
