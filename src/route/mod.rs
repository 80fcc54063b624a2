//! Routing decisions: classification + team policy -> which public model serves a request.
//!
//! Pure: no IO, and no request can make it fail. The only `Err` is a policy decision (an
//! override the policy forbids), which the caller turns into a 403.

use crate::api::ChatRequest;
use crate::classify::{classify_with_reasons, classify_with_threshold, Classification, Route, RouterModel};
use crate::policy::{Policy, RoutingMode};

/// Why the request is served by the model it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteSource {
    /// The classifier chose (mode `auto`).
    Classifier,
    /// The client forced it with `x-gearbox-route`.
    Override,
    /// The policy's mode fixes the route (`chat`, `reasoning`).
    Mode,
    /// Not routed: the request names a concrete model, or the policy is `passthrough`/`shadow`.
    Passthrough,
}

impl RouteSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteSource::Classifier => "classifier",
            RouteSource::Override => "override",
            RouteSource::Mode => "mode",
            RouteSource::Passthrough => "passthrough",
        }
    }
}

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecision {
    /// Public model name (a key of `[models]`) that serves the request.
    pub target: String,
    /// The class served, for routed requests; `None` when the request named a model outside
    /// the routed set.
    pub route: Option<Route>,
    /// The classifier's view, for routed requests (present in every mode but `passthrough`).
    pub classification: Option<Classification>,
    pub source: RouteSource,
    /// Shadow mode: the route the classifier would have chosen; the served model is unchanged.
    pub shadow: Option<Route>,
}

impl RouteDecision {
    /// Whether this request was addressed to a routed name.
    pub fn is_routed(&self) -> bool {
        self.route.is_some() || self.shadow.is_some()
    }
}

/// A decision the policy refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteRefusal {
    /// `x-gearbox-route` was sent but the policy does not allow overrides.
    OverrideForbidden,
}

/// Parse an `x-gearbox-route` header value.
pub fn parse_route(s: &str) -> Option<Route> {
    match s.trim().to_ascii_lowercase().as_str() {
        "chat" => Some(Route::Chat),
        "reasoning" => Some(Route::Reasoning),
        _ => None,
    }
}

/// Decide which model serves `req` for a team with `policy`.
///
/// `forced` is the client's `x-gearbox-route`, already parsed; `is_model` says whether a name is
/// a configured model (used by `passthrough` and `shadow` to serve routed names that are real
/// models as themselves).
pub fn decide_route(
    req: &ChatRequest,
    policy: &Policy,
    router: &RouterModel,
    forced: Option<Route>,
    is_model: &dyn Fn(&str) -> bool,
) -> Result<RouteDecision, RouteRefusal> {
    if !policy.is_routed(&req.model) {
        return Ok(RouteDecision {
            target: req.model.clone(),
            route: None,
            classification: None,
            source: RouteSource::Passthrough,
            shadow: None,
        });
    }
    if forced.is_some() && !policy.allow_override {
        return Err(RouteRefusal::OverrideForbidden);
    }
    let target_of = |r: Route| match r {
        Route::Chat => policy.chat_model.clone(),
        Route::Reasoning => policy.reasoning_model.clone(),
    };
    let as_itself = || {
        if is_model(&req.model) {
            (req.model.clone(), None)
        } else {
            (policy.chat_model.clone(), Some(Route::Chat))
        }
    };
    // The proxy reports the main reason only (metric label, shadow log line).
    let classify = || classify_with_reasons(req, router, policy.threshold, 1);
    let decision = match (policy.mode, forced) {
        (RoutingMode::Passthrough, None) => {
            let (target, route) = as_itself();
            RouteDecision {
                target,
                route,
                classification: None,
                source: RouteSource::Passthrough,
                shadow: None,
            }
        }
        (RoutingMode::Shadow, None) => {
            let c = classify();
            let (target, route) = as_itself();
            RouteDecision {
                target,
                route,
                shadow: Some(c.route),
                classification: Some(c),
                source: RouteSource::Passthrough,
            }
        }
        (_, Some(r)) => RouteDecision {
            target: target_of(r),
            route: Some(r),
            classification: Some(classify()),
            source: RouteSource::Override,
            shadow: None,
        },
        (RoutingMode::Chat, None) | (RoutingMode::Reasoning, None) => {
            let r = if policy.mode == RoutingMode::Chat {
                Route::Chat
            } else {
                Route::Reasoning
            };
            RouteDecision {
                target: target_of(r),
                route: Some(r),
                classification: Some(classify()),
                source: RouteSource::Mode,
                shadow: None,
            }
        }
        (RoutingMode::Auto, None) => {
            let c = classify();
            RouteDecision {
                target: target_of(c.route),
                route: Some(c.route),
                classification: Some(c),
                source: RouteSource::Classifier,
                shadow: None,
            }
        }
    };
    Ok(decision)
}

/// Parse the body given to `gearbox route` and `POST /v1/route`: a Chat Completions body whose
/// `model` may be omitted (it does not affect the classification).
pub fn parse_route_input(body: &[u8]) -> Result<ChatRequest, crate::error::GatewayError> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.entry("model")
                .or_insert_with(|| serde_json::Value::String("auto".into()));
            let bytes = serde_json::to_vec(&m).unwrap_or_default();
            crate::api::parse_chat_request(&bytes)
        }
        _ => crate::api::parse_chat_request(body),
    }
}

/// The stable decision object of `gearbox route` and `POST /v1/route`:
/// `{"id", "route", "score", "reasons": [{"feature", "weight"}]}`.
pub fn decision_json(id: Option<&serde_json::Value>, c: &Classification) -> serde_json::Value {
    let reasons: Vec<serde_json::Value> = c
        .reasons
        .iter()
        .map(|r| serde_json::json!({"feature": r.feature, "weight": round4(r.weight)}))
        .collect();
    serde_json::json!({
        "id": id.cloned().unwrap_or(serde_json::Value::Null),
        "route": c.route.as_str(),
        "score": round4(c.score),
        "reasons": reasons,
    })
}

fn round4(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

/// One line of `gearbox route --input`: `{"id", "request"}` in, the decision (or
/// `{"id", "error"}`) out. Never fails.
pub fn route_line(line: &str, router: &RouterModel, threshold: f32) -> serde_json::Value {
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return serde_json::json!({"id": null, "error": format!("line is not valid JSON: {e}")}),
    };
    let id = v.get("id").cloned().unwrap_or(serde_json::Value::Null);
    let Some(request) = v.get("request") else {
        return serde_json::json!({"id": id, "error": "missing field `request` (a Chat Completions body)"});
    };
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    match parse_route_input(&bytes) {
        Ok(req) => decision_json(Some(&id), &classify_with_threshold(&req, router, threshold)),
        Err(e) => serde_json::json!({"id": id, "error": e.message}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Message, Role};
    use crate::policy::{ReasoningPolicy, UnsupportedParams};

    fn policy(mode: RoutingMode, threshold: f32, allow_override: bool) -> Policy {
        Policy {
            mode,
            routed_models: vec!["auto".into(), "gpt-4o".into()],
            chat_model: "mini".into(),
            reasoning_model: "o3".into(),
            threshold,
            allow_override,
            cache: crate::policy::CachePolicy {
                enabled: true,
                trust_seed: false,
                ttl: std::time::Duration::from_secs(60),
                namespace: None,
            },
            allowed_models: None,
            max_repairs: 1,
            limits: crate::policy::Limits::default(),
            budget: crate::policy::Budget::default(),
            reasoning: ReasoningPolicy {
                effort: None,
                rewrite: true,
                unsupported: UnsupportedParams::Drop,
                min_completion_tokens: 0,
            },
        }
    }

    fn req(model: &str) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            messages: vec![Message::new(Role::User, "hello")],
            ..ChatRequest::default()
        }
    }

    /// A model with all-zero weights scores exactly 0.5, so the threshold decides.
    fn zero() -> RouterModel {
        RouterModel::zeros(8)
    }

    fn known(m: &str) -> bool {
        matches!(m, "mini" | "o3" | "gpt-4o")
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn decisions_by_mode_override_and_name() {
        // (mode, threshold, allow_override, model, forced) -> (target, route, source, shadow)
        use RouteSource::{Classifier, Mode, Override};
        use RoutingMode::{Auto, Chat, Reasoning, Shadow};
        const PT: RoutingMode = RoutingMode::Passthrough;
        const PASS: RouteSource = RouteSource::Passthrough;
        let r = Some(Route::Reasoning);
        let c = Some(Route::Chat);
        let cases: &[(
            RoutingMode,
            f32,
            bool,
            &str,
            Option<Route>,
            &str,
            Option<Route>,
            RouteSource,
            Option<Route>,
        )] = &[
            (Auto, 0.4, true, "auto", None, "o3", r, Classifier, None),
            (Auto, 0.6, true, "auto", None, "mini", c, Classifier, None),
            (Auto, 0.6, true, "gpt-4o", None, "mini", c, Classifier, None),
            (Auto, 0.4, true, "mini", None, "mini", None, PASS, None),
            (Auto, 0.4, true, "auto", c, "mini", c, Override, None),
            (Auto, 0.6, true, "auto", r, "o3", r, Override, None),
            (Chat, 0.0, true, "auto", None, "mini", c, Mode, None),
            (Reasoning, 1.0, true, "auto", None, "o3", r, Mode, None),
            (PT, 0.0, true, "auto", None, "mini", c, PASS, None),
            (PT, 0.0, true, "gpt-4o", None, "gpt-4o", None, PASS, None),
            (Shadow, 0.4, true, "gpt-4o", None, "gpt-4o", None, PASS, r),
            (Shadow, 0.6, true, "auto", None, "mini", c, PASS, c),
        ];
        for (mode, th, allow, model, forced, target, route, source, shadow) in cases {
            let d = decide_route(&req(model), &policy(*mode, *th, *allow), &zero(), *forced, &known).unwrap();
            let got = (d.target.as_str(), d.route, d.source, d.shadow);
            assert_eq!(
                got,
                (*target, *route, *source, *shadow),
                "{mode:?} th={th} {model} forced={forced:?}"
            );
        }
    }

    #[test]
    fn overrides_can_be_forbidden() {
        let p = policy(RoutingMode::Auto, 0.5, false);
        assert_eq!(
            decide_route(&req("auto"), &p, &zero(), Some(Route::Chat), &known),
            Err(RouteRefusal::OverrideForbidden)
        );
        // Not routed: the header does not apply, so it is not refused either.
        assert!(decide_route(&req("mini"), &p, &zero(), Some(Route::Chat), &known).is_ok());
    }

    #[test]
    fn route_header_values() {
        assert_eq!(parse_route("Reasoning "), Some(Route::Reasoning));
        assert_eq!(parse_route("chat"), Some(Route::Chat));
        assert_eq!(parse_route("fast"), None);
    }
}
