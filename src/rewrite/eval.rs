//! `gearbox rewrite --eval`: runs the rewrite the gateway runs for a reasoning-routed request
//! over labelled requests (`{"id", "lang", "request", "must_drop": [...], "must_keep": [...]}`)
//! and reports, per language and overall, the share of directive spans removed and of task
//! spans kept, with every miss.
//!
//! A `must_drop` span is removed when it no longer occurs in the text of the rewritten
//! messages; a `must_keep` span is kept when it occurs verbatim, and two kept spans of one
//! section keep the order they had.
//!
//! Invariant: pure (the caller reads the file) and total: a bad line is reported, not fatal.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::{adapt, ModelProfile, ParamPolicy};

/// Counts for one language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LangStats {
    pub requests: usize,
    pub drop_total: usize,
    pub drop_removed: usize,
    pub keep_total: usize,
    pub keep_kept: usize,
}

/// What went wrong with one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissKind {
    /// A directive span still in the rewritten text.
    NotRemoved,
    /// A task span no longer there verbatim.
    NotKept,
    /// A task span there, but before a span that preceded it in the same section.
    OutOfOrder,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub id: String,
    pub lang: String,
    pub span: String,
    pub kind: MissKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalReport {
    pub langs: BTreeMap<String, LangStats>,
    pub misses: Vec<Miss>,
    /// Lines that could not be evaluated (line number and why).
    pub errors: Vec<String>,
}

impl EvalReport {
    pub fn overall(&self) -> LangStats {
        let mut t = LangStats::default();
        for s in self.langs.values() {
            t.requests += s.requests;
            t.drop_total += s.drop_total;
            t.drop_removed += s.drop_removed;
            t.keep_total += s.keep_total;
            t.keep_kept += s.keep_kept;
        }
        t
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "lang  requests  removed              kept")?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, s: &LangStats| {
            writeln!(
                f,
                "{name:<5} {:>8}  {:>6.1} % ({:>3}/{:<3})  {:>6.1} % ({:>3}/{:<3})",
                s.requests,
                pct(s.drop_removed, s.drop_total),
                s.drop_removed,
                s.drop_total,
                pct(s.keep_kept, s.keep_total),
                s.keep_kept,
                s.keep_total
            )
        };
        for (lang, s) in &self.langs {
            row(f, lang, s)?;
        }
        row(f, "all", &self.overall())?;
        if !self.misses.is_empty() {
            writeln!(f, "\nmisses ({}):", self.misses.len())?;
        }
        for m in &self.misses {
            let what = match m.kind {
                MissKind::NotRemoved => "dropped? no (still there)",
                MissKind::NotKept => "kept? no (lost or altered)",
                MissKind::OutOfOrder => "kept? no (out of order)",
            };
            writeln!(f, "  {} [{}] {what}: {:?}", m.id, m.lang, m.span)?;
        }
        for e in &self.errors {
            writeln!(f, "  error: {e}")?;
        }
        Ok(())
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The section a byte of a rewritten message lies in: the offset of the `## ` header before
/// it (0 when none).
fn section_of(text: &str, pos: usize) -> usize {
    text.get(..pos)
        .and_then(|h| h.rfind("\n## "))
        .map_or(0, |p| p + 1)
}

/// Where a kept span was found.
struct Placed {
    /// (message, offset) in the request as sent.
    orig: Option<(usize, usize)>,
    /// Rewritten message, its section (offset of its header), and the offset in the message.
    msg: usize,
    sec: usize,
    pos: usize,
}

/// Evaluates every line of `jsonl` with the gateway's rewrite for `profile` and `params`.
pub fn evaluate(
    jsonl: &str,
    upstream_model: &str,
    profile: &ModelProfile,
    params: &ParamPolicy,
) -> EvalReport {
    let mut report = EvalReport::default();
    for (n, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                report.errors.push(format!("line {}: invalid JSON: {e}", n + 1));
                continue;
            }
        };
        let id = v.get("id").and_then(Value::as_str).unwrap_or("?").to_string();
        let lang = v.get("lang").and_then(Value::as_str).unwrap_or("?").to_string();
        let bytes = v
            .get("request")
            .map(|r| serde_json::to_vec(r).unwrap_or_default())
            .unwrap_or_default();
        let mut req = match crate::route::parse_route_input(&bytes) {
            Ok(r) => r,
            Err(e) => {
                report
                    .errors
                    .push(format!("line {} ({id}): {}", n + 1, e.message));
                continue;
            }
        };
        let original: Vec<String> = req.messages.iter().map(|m| m.text().into_owned()).collect();
        req.model = upstream_model.to_string();
        if let Err(r) = adapt(&mut req, profile, params) {
            report
                .errors
                .push(format!("line {} ({id}): {}", n + 1, r.message));
            continue;
        }
        let texts: Vec<String> = req.messages.iter().map(|m| m.text().into_owned()).collect();
        let stats = report.langs.entry(lang.clone()).or_default();
        stats.requests += 1;
        let miss = |span: &str, kind| Miss {
            id: id.clone(),
            lang: lang.clone(),
            span: span.to_string(),
            kind,
        };
        for d in strings(v.get("must_drop")) {
            stats.drop_total += 1;
            if texts.iter().any(|t| t.contains(&d)) {
                report.misses.push(miss(&d, MissKind::NotRemoved));
            } else {
                stats.drop_removed += 1;
            }
        }
        let mut placed: Vec<Placed> = Vec::new();
        for k in strings(v.get("must_keep")) {
            stats.keep_total += 1;
            let found = texts
                .iter()
                .enumerate()
                .find_map(|(i, t)| t.find(&k).map(|p| (i, p)));
            let Some((msg, pos)) = found else {
                report.misses.push(miss(&k, MissKind::NotKept));
                continue;
            };
            let orig = original
                .iter()
                .enumerate()
                .find_map(|(i, t)| t.find(&k).map(|p| (i, p)));
            let sec = texts.get(msg).map_or(0, |t| section_of(t, pos));
            let out_of_order = placed.iter().any(|p| {
                p.msg == msg
                    && p.sec == sec
                    && p.orig.is_some()
                    && orig.is_some()
                    && p.orig < orig
                    && p.pos > pos
            });
            if out_of_order {
                report.misses.push(miss(&k, MissKind::OutOfOrder));
            } else {
                stats.keep_kept += 1;
            }
            placed.push(Placed { orig, msg, sec, pos });
        }
    }
    report
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::rewrite::builtin_profile;

    #[test]
    fn counts_and_misses() {
        let lines = concat!(
            r#"{"id":"a","lang":"en","request":{"model":"auto","messages":[{"role":"user","content":"Let's think step by step. What is 2+2?"}]},"must_drop":["Let's think step by step."],"must_keep":["What is 2+2?"]}"#,
            "\n",
            r#"{"id":"b","lang":"en","request":{"model":"auto","messages":[{"role":"user","content":"Sum 1 and 2."}]},"must_drop":["nothing like this"],"must_keep":["Sum 1 and 2.","absent span"]}"#,
            "\nnot json\n"
        );
        let r = evaluate(lines, "o3", &builtin_profile("o3"), &ParamPolicy::default());
        let en = &r.langs["en"];
        assert_eq!(
            (
                en.requests,
                en.drop_total,
                en.drop_removed,
                en.keep_total,
                en.keep_kept
            ),
            (2, 2, 2, 3, 2)
        );
        assert_eq!(r.misses.len(), 1);
        assert_eq!(r.misses[0].kind, MissKind::NotKept);
        assert_eq!(r.errors.len(), 1);
        assert!(r.to_string().contains("absent span"));
    }
}
