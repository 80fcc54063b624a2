//! Reasoning-model adapter: makes a Chat Completions request one that a reasoning model accepts
//! ([`translate`]: parameters and roles) and does well with ([`rewrite`]: goal form — how-to-think
//! directives and generic personas removed, the rest laid out as goal, output format,
//! constraints and context, earlier turns consolidated). [`adapt`] runs both in the right order.
//!
//! Invariant: pure (no IO), total (never panics, whatever the input) and lossless: the user's
//! data, numbers, code, quoted text, constraints and format instructions are never dropped or
//! altered; only whole directive sentences/clauses (listed in [`RewriteOutcome::removed`]) and
//! the whitespace they leave go away. `req.extra` and fields other than `messages` are never
//! touched by [`rewrite`].
//!
//! Modules: [`profile`] (capability profiles), [`params`] (translation), [`directives`]
//! (pattern tables and anchor finder), [`strip`] (directive removal), `goal` (sectioning),
//! `text` / `lexicon` (segmentation, matching, word tables).
//!
//! # When `rewrite` restructures
//! * **No-op** (`rewritten == false`): a single user turn (with or without system/developer
//!   messages) in which no directive was found, and whose roles the profile already accepts.
//!   Such a prompt is already in the user's own form; sectioning it would only risk misfiling.
//! * **Goal form**: when a directive was removed, or when there are earlier turns to
//!   consolidate. The last user message becomes one message with `## Goal`, `## Output format`,
//!   `## Constraints`, `## Context` sections (empty ones omitted; a lone goal stays plain text);
//!   earlier user/assistant turns go to Context as "### Earlier conversation" with roles
//!   (assistant text verbatim); images and other non-text parts are kept (after the text
//!   part). The system prompt, if anything remains of it, is one developer/system message, or
//!   (merge/`UserOnly` profiles) an `## Instructions` section at the top of the user message.
//! * **In place only**: conversations that carry tool calls (`tool`/`function` messages,
//!   `tool_calls`, `tool_call_id`), messages with `name` or extra fields, text parts with extra
//!   keys, or a last message that is not from the user. Consolidating those would break the
//!   tool protocol or lose fields, so directives are only removed from system/developer/user
//!   text (each text part on its own), assistant and tool messages are untouched, and roles are
//!   fixed for the profile.
//!
//! The final user turn is never left empty: if it held nothing but directives and there is no
//! other content to send with it, it is kept as sent. A system/developer message or an earlier
//! user turn that held only directives or a generic persona is dropped.

mod clause;
pub mod detect;
pub mod directives;
pub mod eval;
pub(crate) mod goal;
mod guards;
mod lexicon;
pub mod params;
mod phrases;
pub mod profile;
pub mod strip;
mod text;
pub mod train;

#[cfg(test)]
#[rustfmt::skip]
mod tests;
#[cfg(test)]
mod keep_tests;
#[cfg(test)]
mod task_keep_tests;

use serde_json::Value;

pub use params::{
    check, translate, ChangeAction, ParamChange, ParamPolicy, ParamRejection, Translation, Unsupported,
};
pub use profile::{builtin_profile, resolve_profile, Layout, ModelProfile, SystemRole, BUILTIN_PROFILES};
pub use strip::is_directive_text;

use crate::api::{ChatRequest, Content, Message, Role};
use goal::Sec;
use profile::{fix_roles, merges_system};
use strip::Turn;

/// What [`rewrite`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RewriteOutcome {
    /// True when the request was changed in any way.
    pub rewritten: bool,
    /// The exact directive texts removed, in message order.
    pub removed: Vec<String>,
}

/// What [`adapt`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adaptation {
    pub rewrite: RewriteOutcome,
    pub translation: Translation,
}

/// The whole adapter in the order the gateway should run it: [`check`] (a rejection leaves the
/// request untouched), then [`rewrite`] (goal form, system prompt placed per layout), then
/// [`translate`] (parameters; roles are already right).
pub fn adapt(
    req: &mut ChatRequest,
    profile: &ModelProfile,
    policy: &ParamPolicy,
) -> Result<Adaptation, ParamRejection> {
    check(req, profile, policy)?;
    let rewrite = rewrite(req, profile);
    let translation = translate(req, profile, policy)?;
    Ok(Adaptation { rewrite, translation })
}

/// Builds every lookup table now instead of on the first request.
pub fn warm_up() {
    directives::warm_up();
    goal::warm_up();
    guards::warm_up();
    detect::warm_up();
}

/// Rewrites `req` in place into goal form for `profile` (see the module docs for when it
/// restructures). Never panics; the result is acceptable to the profile's role rules.
pub fn rewrite(req: &mut ChatRequest, profile: &ModelProfile) -> RewriteOutcome {
    let mut out = RewriteOutcome::default();
    if consolidatable(req) {
        restructure(req, profile, &mut out);
    } else {
        out.rewritten |= strip_in_place(req, &mut out.removed);
    }
    out.rewritten |= !fix_roles(req, profile).is_empty();
    out
}

fn is_sys(r: Role) -> bool {
    matches!(r, Role::System | Role::Developer)
}

/// True when the conversation can be merged into one user turn without losing protocol or data.
fn consolidatable(req: &ChatRequest) -> bool {
    let last_is_user = req.messages.last().is_some_and(|m| m.role == Role::User);
    last_is_user
        && req.messages.iter().all(|m| {
            matches!(
                m.role,
                Role::System | Role::Developer | Role::User | Role::Assistant
            ) && m.tool_calls.is_none()
                && m.tool_call_id.is_none()
                && m.name.is_none()
                && m.extra.values().all(Value::is_null)
                && parts_are_plain(m)
        })
}

/// Text parts carry only `type` and `text` (no cache hints etc. that a merge would lose).
fn parts_are_plain(m: &Message) -> bool {
    match &m.content {
        Some(Content::Parts(parts)) => parts.iter().all(|p| match p.get("text") {
            Some(t) => t.is_string() && p.as_object().is_some_and(|o| o.len() <= 2),
            None => p.is_object(),
        }),
        _ => true,
    }
}

/// Strips directives from one text of the given turn. `None` when nothing changed, or when
/// `keep_nonempty` and the result would be empty.
fn strip_text(t: &str, turn: Turn, keep_nonempty: bool, removed: &mut Vec<String>) -> Option<String> {
    let s = strip::strip_as(t, turn)?;
    if keep_nonempty && s.text.trim().is_empty() {
        return None;
    }
    removed.extend(s.removed);
    Some(s.text)
}

/// The [`Turn`] of message `i`, `None` for turns never stripped (assistant, tool).
fn turn_of(req: &ChatRequest, i: usize) -> Option<Turn> {
    let m = req.messages.get(i)?;
    if is_sys(m.role) {
        Some(Turn::System)
    } else if m.role != Role::User {
        None
    } else if answers_question(req, i) {
        Some(Turn::Answer)
    } else {
        Some(Turn::User)
    }
}

/// Tool-call-safe mode: remove directives from system/developer/user text only, message by
/// message and part by part. Returns whether anything changed.
fn strip_in_place(req: &mut ChatRequest, removed: &mut Vec<String>) -> bool {
    let mut changed = false;
    let mut drop_idx = Vec::new();
    let turns: Vec<Option<Turn>> = (0..req.messages.len()).map(|i| turn_of(req, i)).collect();
    for (i, m) in req.messages.iter_mut().enumerate() {
        let Some(turn) = turns.get(i).copied().flatten() else {
            continue;
        };
        let user = turn != Turn::System;
        match &mut m.content {
            Some(Content::Text(t)) => {
                // A user turn is never emptied; a system prompt of nothing but directives is.
                if let Some(new) = strip_text(t, turn, user, removed) {
                    if new.trim().is_empty() {
                        drop_idx.push(i);
                    }
                    *t = new;
                    changed = true;
                }
            }
            Some(Content::Parts(parts)) => {
                // Part by part, each a text of its own (the answer rule reads whole turns).
                let part_turn = if user { Turn::User } else { Turn::System };
                let mut part_removed = Vec::new();
                let mut new_parts = parts.clone();
                for p in new_parts.iter_mut() {
                    let Some(t) = p.get("text").and_then(Value::as_str) else {
                        continue;
                    };
                    if let Some(new) = strip_text(t, part_turn, false, &mut part_removed) {
                        if let Some(slot) = p.get_mut("text") {
                            *slot = Value::String(new);
                        }
                    }
                }
                if part_removed.is_empty() {
                    continue;
                }
                new_parts.retain(|p| {
                    p.get("text")
                        .and_then(Value::as_str)
                        .is_none_or(|t| !t.trim().is_empty())
                });
                if new_parts.is_empty() && user {
                    continue;
                }
                if new_parts.is_empty() {
                    drop_idx.push(i);
                }
                *parts = new_parts;
                removed.extend(part_removed);
                changed = true;
            }
            None => {}
        }
    }
    for i in drop_idx.into_iter().rev() {
        if i < req.messages.len() {
            req.messages.remove(i);
        }
    }
    changed
}

/// Message `i` follows an assistant turn whose text ends in a question.
fn answers_question(req: &ChatRequest, i: usize) -> bool {
    i.checked_sub(1)
        .and_then(|p| req.messages.get(p))
        .is_some_and(|m| m.role == Role::Assistant && m.text().trim_end().ends_with(['?', '？']))
}

fn non_text_parts(m: &Message) -> Vec<Value> {
    match &m.content {
        Some(Content::Parts(parts)) => parts
            .iter()
            .filter(|p| p.get("text").is_none())
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// Goal-form restructuring of a consolidatable conversation.
fn restructure(req: &mut ChatRequest, profile: &ModelProfile, out: &mut RewriteOutcome) {
    let Some(last_user) = req.messages.iter().rposition(|m| m.role == Role::User) else {
        return;
    };
    let mut removed = Vec::new();
    let mut instructions: Vec<String> = Vec::new();
    let mut earlier = String::new();
    let mut parts: Vec<Value> = Vec::new();
    let mut sys_role = None;
    for (i, m) in req.messages.iter().enumerate() {
        if i == last_user {
            continue;
        }
        let raw = m.text();
        // An earlier turn or system prompt that held only directives is dropped whole.
        let stripped = turn_of(req, i).and_then(|turn| strip_text(&raw, turn, false, &mut removed));
        let t = stripped.as_deref().unwrap_or(&raw).trim();
        parts.extend(non_text_parts(m));
        if is_sys(m.role) {
            sys_role.get_or_insert(m.role);
            if !t.is_empty() {
                instructions.push(t.to_string());
            }
        } else if !t.is_empty() {
            if !earlier.is_empty() {
                earlier.push_str("\n\n");
            }
            earlier.push_str(if m.role == Role::User {
                "User: "
            } else {
                "Assistant: "
            });
            earlier.push_str(t);
        }
    }
    let Some(last) = req.messages.get(last_user) else {
        return;
    };
    let raw_last = last.text().into_owned();
    let mut main_removed = Vec::new();
    let mut main = turn_of(req, last_user)
        .and_then(|turn| strip_text(&raw_last, turn, false, &mut main_removed))
        .unwrap_or_else(|| raw_last.clone());
    parts.extend(non_text_parts(last));
    let instr = instructions.join("\n\n");
    let merged = merges_system(profile) && !instr.is_empty();
    if main.trim().is_empty() && !merged && earlier.is_empty() && parts.is_empty() {
        // Never leave the user turn empty: keep it as sent.
        main = raw_last;
        main_removed.clear();
    }
    removed.append(&mut main_removed);
    let multi_turn = req.messages.iter().any(|m| m.role == Role::Assistant)
        || req.messages.iter().filter(|m| m.role == Role::User).count() > 1;
    if removed.is_empty() && !multi_turn {
        return;
    }
    let mut sections = goal::classify(&main);
    if !earlier.is_empty() {
        let block = format!("### Earlier conversation\n{earlier}");
        let own_context = sections.take(Sec::Context);
        sections.push_block(Sec::Context, &block);
        if !own_context.is_empty() {
            sections.push_block(Sec::Context, &own_context);
        }
    }
    let text = goal::render(merged.then_some(instr.as_str()), &sections);
    let mut user = Message::new(Role::User, text);
    if !parts.is_empty() {
        let mut all = Vec::with_capacity(parts.len() + 1);
        if let Some(Content::Text(t)) = user.content.take() {
            all.push(serde_json::json!({"type": "text", "text": t}));
        }
        all.extend(parts);
        user.content = Some(Content::Parts(all));
    }
    let mut messages = Vec::with_capacity(2);
    if !merged && !instr.is_empty() {
        messages.push(Message::new(sys_role.unwrap_or(Role::System), instr));
    }
    messages.push(user);
    req.messages = messages;
    out.removed = removed;
    out.rewritten = true;
}

/// One line of `gearbox rewrite --input`: `{"id", "request"}` in; out
/// `{"id", "request": <the body exactly as sent to the reasoning model>, "removed": [...]}` or
/// `{"id", "error"}`. `upstream_model` is the name sent upstream; `rewrite_on` applies the
/// goal-form rewrite (else only parameters and roles are translated). Never fails.
pub fn rewrite_line(
    line: &str,
    upstream_model: &str,
    profile: &ModelProfile,
    params: &ParamPolicy,
    rewrite_on: bool,
) -> Value {
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return serde_json::json!({"id": null, "error": format!("line is not valid JSON: {e}")}),
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    let Some(request) = v.get("request") else {
        return serde_json::json!({"id": id, "error": "missing field `request` (a Chat Completions body)"});
    };
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    let mut req = match crate::route::parse_route_input(&bytes) {
        Ok(r) => r,
        Err(e) => return serde_json::json!({"id": id, "error": e.message}),
    };
    req.model = upstream_model.to_string();
    let removed = if rewrite_on {
        match adapt(&mut req, profile, params) {
            Ok(a) => a.rewrite.removed,
            Err(r) => return serde_json::json!({"id": id, "error": r.message, "param": r.param}),
        }
    } else {
        match translate(&mut req, profile, params) {
            Ok(_) => Vec::new(),
            Err(r) => return serde_json::json!({"id": id, "error": r.message, "param": r.param}),
        }
    };
    match serde_json::to_value(&req) {
        Ok(body) => serde_json::json!({"id": id, "request": body, "removed": removed}),
        Err(e) => serde_json::json!({"id": id, "error": format!("could not serialise the request: {e}")}),
    }
}
