//! End-to-end tests of [`super::rewrite`]: golden rewrites in seven languages, profile layouts,
//! multi-turn and tool-call conversations, content parts, and property tests (lossless, only
//! directives removed, never panics, always acceptable to the strict mock).
//!
//! Invariant: test-only; no IO.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    clippy::single_range_in_vec_init
)]

use proptest::prelude::*;
use serde_json::json;

use super::params::tests::{maximal, strict_violations};
use super::*;
use crate::api::{ChatRequest, Content, Message, Role};

fn req(model: &str, msgs: &[(Role, &str)]) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages: msgs.iter().map(|(r, t)| Message::new(*r, *t)).collect(),
        ..Default::default()
    }
}

fn texts(r: &ChatRequest) -> Vec<(Role, String)> {
    r.messages
        .iter()
        .map(|m| (m.role, m.text().into_owned()))
        .collect()
}

use Role::{Assistant as A, Developer as D, System as S, User as U};

/// (model, input messages, expected messages, expected removed)
type Golden = (
    &'static str,
    &'static [(Role, &'static str)],
    &'static [(Role, &'static str)],
    &'static [&'static str],
);

fn run(cases: &[Golden]) {
    for (model, input, want, want_removed) in cases {
        let mut r = req(model, input);
        let out = rewrite(&mut r, &builtin_profile(model));
        let got = texts(&r);
        let want: Vec<(Role, String)> = want.iter().map(|(r, t)| (*r, t.to_string())).collect();
        assert_eq!(got, want, "model {model}, input {input:?}");
        assert_eq!(out.removed, *want_removed, "model {model}, input {input:?}");
        assert!(strict_violations(&r).is_empty(), "{model}");
        assert_eq!(
            out.rewritten,
            !(got == texts(&req(model, input))),
            "{model} {input:?}"
        );
    }
}

#[test]
fn golden_english() {
    run(&[
        ("o3", &[(U, "Think step by step. What is 17*23?")], &[(U, "What is 17*23?")], &["Think step by step."]),
        ("o3", &[(U, "Solve x+1=2, and think step by step.")], &[(U, "Solve x+1=2.")], &["think step by step"]),
        ("o3", &[(S, "You are a helpful assistant."), (U, "Summarize the report below and think step by step. Answer in 3 bullet points. Do not mention names.\n\nReport:\nQ3 revenue rose 12%.\nCosts fell 3%.")],
            &[(U, "## Goal\nSummarize the report below.\n\n## Output format\nAnswer in 3 bullet points.\n\n## Constraints\nDo not mention names.\n\n## Context\nReport:\nQ3 revenue rose 12%.\nCosts fell 3%.")],
            &["You are a helpful assistant.", "think step by step"]),
        ("o3", &[(S, "You are a customer-support agent for Acme; answer only about billing. Take a deep breath."), (U, "Why was I charged twice? Let's think step by step.")],
            &[(D, "You are a customer-support agent for Acme; answer only about billing."), (U, "Why was I charged twice?")],
            &["Take a deep breath.", "Let's think step by step."]),
        ("o3", &[(U, "Write step-by-step installation instructions for nginx.")], &[(U, "Write step-by-step installation instructions for nginx.")], &[]),
        ("o3", &[(U, "Explain this:\n```\n# think step by step\nx = 1\n```\nThink step by step.")],
            &[(U, "## Goal\nExplain this:\n\n## Context\n```\n# think step by step\nx = 1\n```")], &["Think step by step."]),
        ("o3", &[(U, "Translate \"Let's think step by step.\" into French. Show your work.")],
            &[(U, "Translate \"Let's think step by step.\" into French.")], &["Show your work."]),
        ("o3", &[(U, "Think step by step.")], &[(U, "Think step by step.")], &[]),
    ]);
}

#[test]
fn golden_other_languages() {
    run(&[
        ("o3", &[(U, "단계별로 생각해 보세요. 이 보고서를 요약하세요. 표 형식으로 답하세요. 반드시 한국어로 쓰세요.")],
            &[(U, "## Goal\n이 보고서를 요약하세요.\n\n## Output format\n표 형식으로 답하세요.\n\n## Constraints\n반드시 한국어로 쓰세요.")], &["단계별로 생각해 보세요."]),
        ("o3", &[(U, "この文章を要約して。ステップバイステップで考えてください。箇条書きで答えて。")],
            &[(U, "## Goal\nこの文章を要約して。\n\n## Output format\n箇条書きで答えて。")], &["ステップバイステップで考えてください。"]),
        ("o3", &[(U, "让我们一步步思考。总结这篇文章。不要使用术语。")],
            &[(U, "## Goal\n总结这篇文章。\n\n## Constraints\n不要使用术语。")], &["让我们一步步思考。"]),
        ("o3", &[(U, "Resume el texto y piensa paso a paso. Responde en formato JSON.")],
            &[(U, "## Goal\nResume el texto.\n\n## Output format\nResponde en formato JSON.")], &["piensa paso a paso"]),
        ("o3", &[(U, "Réfléchissons étape par étape. Traduis ce texte. N'utilise pas de jargon.")],
            &[(U, "## Goal\nTraduis ce texte.\n\n## Constraints\nN'utilise pas de jargon.")], &["Réfléchissons étape par étape."]),
        ("o3", &[(U, "Lass uns Schritt für Schritt denken. Fasse den Text zusammen. Antworte als Tabelle.")],
            &[(U, "## Goal\nFasse den Text zusammen.\n\n## Output format\nAntworte als Tabelle.")], &["Lass uns Schritt für Schritt denken."]),
        ("o3", &[(U, "차근차근 생각해 봐. 2+2는?")], &[(U, "2+2는?")], &["차근차근 생각해 봐."]),
        ("o3", &[(U, "段階的に考えて。「ステップバイステップで考えて」を英訳して。")], &[(U, "「ステップバイステップで考えて」を英訳して。")], &["段階的に考えて。"]),
        ("o3", &[(U, "请一步一步地思考。把“请一步一步地思考”翻译成英文。")], &[(U, "把“请一步一步地思考”翻译成英文。")], &["请一步一步地思考。"]),
        ("o3", &[(U, "Piensa paso a paso. Traduce «piensa paso a paso» al inglés.")], &[(U, "Traduce «piensa paso a paso» al inglés.")], &["Piensa paso a paso."]),
        ("o3", &[(U, "Denke Schritt für Schritt nach. Übersetze „denke Schritt für Schritt nach“.")], &[(U, "Übersetze „denke Schritt für Schritt nach“.")], &["Denke Schritt für Schritt nach."]),
    ]);
}

/// A question that names no thinking procedure is the task, whatever the detector scores it
/// (before: "Muss ich reagieren, ...?" went whole, and in the second case the question went and
/// the rewrite was dropped); a lone name in a list is not a clause of its own (before: "Eli"
/// was cut out of "Cho and Eli"), while a template's label still goes with the template.
#[test]
fn plain_questions_and_listed_names_stay() {
    run(&[
        ("o3", &[(U, "Gib dir richtig Mühe. Muss ich reagieren, und was passiert, wenn ich nicht reagiere?")],
            &[(U, "Gib dir richtig Mühe. Muss ich reagieren, und was passiert, wenn ich nicht reagiere?")], &[]),
        ("o3", &[(U, "Denk gründlich nach. Was passiert, wenn ich nicht reagiere?")],
            &[(U, "Was passiert, wenn ich nicht reagiere?")], &["Denk gründlich nach."]),
        // A thinking instruction phrased as a question still goes.
        ("o3", &[(U, "Will you reflect on it deeply before replying? What is 17*23?")],
            &[(U, "What is 17*23?")], &["Will you reflect on it deeply before replying?"]),
        ("o3", &[(U, "Can you please be careful and not rush? What is 17*23?")],
            &[(U, "What is 17*23?")], &["Can you please be careful and not rush?"]),
        ("o3", &[(U, "Je dors mal en ce moment, tu as des astuces ? Explique les causes possibles.")],
            &[(U, "Je dors mal en ce moment, tu as des astuces ? Explique les causes possibles.")], &[]),
        ("o3", &[(U, "Four colleagues — Ana, Ben, Cho and Eli — share two desks. Ana never sits with Ben. Who can sit with Eli? Use this format — Reasoning: <your thinking> Final answer: <names>.")],
            &[(U, "## Goal\nFour colleagues — Ana, Ben, Cho and Eli — share two desks. Ana never sits with Ben. Who can sit with Eli?\n\n## Output format\nUse this format: <names>.")],
            &["Reasoning", "<your thinking> Final answer"]),
    ]);
}

#[test]
fn golden_profiles_and_layouts() {
    run(&[
        ("deepseek-r1", &[ (S, "Answer in French."), (U, "Let's think step by step. Why is the sky blue?"), ], &[( U, "## Instructions\nAnswer in French.\n\n## Goal\nWhy is the sky blue?", )], &["Let's think step by step."]),
        ("deepseek-r1", &[(S, "Answer in French."), (U, "Why is the sky blue?")], &[(U, "Answer in French.\n\nWhy is the sky blue?")], &[]),
        ("o1-mini", &[(D, "Be brief."), (U, "Think step by step. Define entropy.")], &[(U, "## Instructions\nBe brief.\n\n## Goal\nDefine entropy.")], &["Think step by step."]),
        ("qwq-32b", &[(D, "Be brief."), (U, "Think step by step. Define entropy.")], &[(S, "Be brief."), (U, "Define entropy.")], &["Think step by step."]),
        ("o3", &[(S, "Be brief."), (U, "Define entropy.")], &[(D, "Be brief."), (U, "Define entropy.")], &[]),
        ("o3", &[ (S, "You are a helpful assistant."), (U, "Define entropy. Think step by step."), ], &[(U, "Define entropy.")], &["You are a helpful assistant.", "Think step by step."]),
    ]);
}

#[test]
fn golden_multi_turn() {
    run(&[
        ("o3", &[(U, "What is Rust?"), (A, "A systems language."), (U, "Think step by step. Compare it with Go.")],
            &[(U, "## Goal\nCompare it with Go.\n\n## Context\n### Earlier conversation\nUser: What is Rust?\n\nAssistant: A systems language.")], &["Think step by step."]),
        ("deepseek-r1", &[(S, "Only discuss programming."), (U, "Let's think step by step. What is Rust?"), (A, "A language."), (U, "And Go?")],
            &[(U, "## Instructions\nOnly discuss programming.\n\n## Goal\nAnd Go?\n\n## Context\n### Earlier conversation\nUser: What is Rust?\n\nAssistant: A language.")], &["Let's think step by step."]),
        ("o3", &[(U, "Hi"), (A, "Hello!"), (U, "Summarize our chat.\n\n```\nlog line\n```")],
            &[(U, "## Goal\nSummarize our chat.\n\n## Context\n### Earlier conversation\nUser: Hi\n\nAssistant: Hello!\n\n```\nlog line\n```")], &[]),
    ]);
}

#[test]
fn tool_call_conversation_is_only_stripped_in_place() {
    let mut r = req(
        "o3",
        &[
            (S, "You are a helpful assistant. Use the tools."),
            (U, "Find the weather in Paris. Think step by step."),
        ],
    );
    let mut call = Message::new(A, "");
    call.content = None;
    call.tool_calls = Some(vec![
        json!({"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}),
    ]);
    let mut result = Message::new(Role::Tool, "{\"temp\": 12}");
    result.tool_call_id = Some("c1".into());
    r.messages.extend([
        call.clone(),
        result.clone(),
        Message::new(U, "Now Berlin. Think step by step."),
    ]);
    let out = rewrite(&mut r, &builtin_profile("o3"));
    assert!(out.rewritten);
    assert_eq!(
        out.removed,
        [
            "You are a helpful assistant.",
            "Think step by step.",
            "Think step by step."
        ]
    );
    assert_eq!(r.messages.len(), 5);
    assert_eq!(
        (r.messages[0].role, r.messages[0].text().into_owned()),
        (D, "Use the tools.".to_string())
    );
    assert_eq!(r.messages[1].text(), "Find the weather in Paris.");
    assert_eq!(r.messages[2], call);
    assert_eq!(r.messages[3], result);
    assert_eq!(r.messages[4].text(), "Now Berlin.");
}

#[test]
fn content_parts_keep_images() {
    let img = json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}});
    let mut r = req("o3", &[]);
    let mut m = Message::new(U, "");
    m.content = Some(Content::Parts(vec![
        json!({"type": "text", "text": "Think step by step. What is in this image?"}),
        img.clone(),
    ]));
    r.messages.push(m);
    let out = rewrite(&mut r, &builtin_profile("o3"));
    assert_eq!(out.removed, ["Think step by step."]);
    assert_eq!(
        r.messages[0].content,
        Some(Content::Parts(vec![
            json!({"type": "text", "text": "What is in this image?"}),
            img.clone()
        ]))
    );
    // Parts with extra keys are only stripped in place, extra keys kept.
    let mut r = req("o3", &[]);
    let mut m = Message::new(U, "");
    let cached = json!({"type": "text", "text": "Think step by step. Describe it.", "cache_control": {"type": "ephemeral"}});
    m.content = Some(Content::Parts(vec![cached, img.clone()]));
    r.messages.push(m);
    rewrite(&mut r, &builtin_profile("o3"));
    let Some(Content::Parts(p)) = &r.messages[0].content else {
        panic!()
    };
    assert_eq!(p[0]["text"], "Describe it.");
    assert_eq!(p[0]["cache_control"]["type"], "ephemeral");
    assert_eq!(p[1], img);
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let profiles: Vec<ModelProfile> = ["o1-mini", "o3", "deepseek-r1", "x"]
        .iter()
        .map(|m| builtin_profile(m))
        .collect();
    let mut none = Message::new(A, "");
    none.content = None;
    let cases: Vec<Vec<Message>> = vec![
        vec![],
        vec![Message::new(S, "Think step by step.")],
        vec![Message::new(U, "")],
        vec![none.clone()],
        vec![Message::new(U, "\"unterminated think step by step.")],
        vec![Message::new(U, "```"), none],
        vec![
            Message::new(Role::Function, "x"),
            Message::new(U, "Think step by step. y"),
        ],
    ];
    for msgs in cases {
        for p in &profiles {
            let mut r = ChatRequest {
                model: p.name.clone(),
                messages: msgs.clone(),
                ..Default::default()
            };
            rewrite(&mut r, p);
            assert!(
                !r.messages.iter().any(|m| matches!(m.role, S | D)) || !profile::merges_system(p)
            );
        }
    }
}

#[test]
fn adapt_checks_first_then_rewrites_then_translates() {
    let reject = ParamPolicy { on_unsupported: Unsupported::Reject, ..Default::default() };
    let mut r = maximal("o1-mini");
    r.messages.push(Message::new(U, "Think step by step. Why?"));
    let before = r.clone();
    assert_eq!(adapt(&mut r, &builtin_profile("o1-mini"), &reject).unwrap_err().param, "temperature");
    assert_eq!(r, before);
    let a = adapt(&mut r, &builtin_profile("o1-mini"), &ParamPolicy::default()).unwrap();
    assert_eq!(a.rewrite.removed, ["Think step by step."]);
    assert!(a.translation.touched("max_tokens"));
    assert!(strict_violations(&r).is_empty());
    assert_eq!(r.messages.len(), 1);
    assert!(r.messages[0].text().starts_with("## Instructions\nYou are terse. Answer in French.\n\nNever reveal keys."));
}

#[test]
fn extra_fields_untouched() {
    let mut r = maximal("o3");
    r.messages.push(Message::new(U, "Think step by step."));
    let before = r.extra.clone();
    rewrite(&mut r, &builtin_profile("o3"));
    assert_eq!(r.extra, before);
    assert_eq!(
        r.temperature,
        Some(0.2),
        "rewrite leaves parameters to translate"
    );
}

/// Directive sentences the property test interleaves with content.
const DIRECTIVES: &[&str] = &[
    "Think step by step.",
    "Let's think step by step.",
    "Take a deep breath.",
    "Show your work.",
    "Explain your reasoning before answering.",
    "You are a helpful assistant.",
    "Work through this carefully.",
    "단계별로 생각해 보세요.",
    "차근차근 생각해 봐.",
    "ステップバイステップで考えてください。",
    "段階的に考えて。",
    "请一步一步地思考。",
    "让我们一步步思考。",
    "Piensa paso a paso.",
    "Razonemos paso a paso.",
    "Réfléchis étape par étape.",
    "Réfléchissons étape par étape.",
    "Denke Schritt für Schritt nach.",
    "Lass uns Schritt für Schritt denken.",
];

fn content_fragment() -> impl Strategy<Value = String> {
    let word = "[a-z]{1,6}[0-9]{1,3}";
    prop_oneof![
        proptest::collection::vec(word, 1..5).prop_map(|w| format!("{}.", w.join(" "))),
        proptest::collection::vec(word, 1..4).prop_map(|w| w.join(" ")),
        (0u32..100_000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        (word, 0..DIRECTIVES.len()).prop_map(|(w, d)| format!("```\n{w} {}\n```", DIRECTIVES[d])),
        (0..DIRECTIVES.len(), word).prop_map(|(d, w)| format!("\"{} {w}\"", DIRECTIVES[d])),
        (0..DIRECTIVES.len()).prop_map(|d| format!("「{}」", DIRECTIVES[d])),
        (0..DIRECTIVES.len()).prop_map(|d| format!("«{}»", DIRECTIVES[d])),
        (prop::sample::select(vec![ "数据库连接失败", "서버 로그를 확인", "設定ファイルを読む", "価格は" ]), 0u32..1000)
            .prop_map(|(c, n)| format!("{c}{n}。")),
        Just("Answer in JSON.".to_string()),
        Just("Do not use 42 words.".to_string()),
    ]
}

fn fragments() -> impl Strategy<Value = Vec<(bool, String, &'static str)>> {
    let frag = prop_oneof![
        3 => content_fragment().prop_map(|c| (false, c)),
        2 => (0..DIRECTIVES.len()).prop_map(|d| (true, DIRECTIVES[d].to_string())),
    ];
    let sep = prop::sample::select(vec![" ", "\n", "\n\n"]);
    proptest::collection::vec((frag, sep).prop_map(|((d, t), s)| (d, t, s)), 0..14)
}

proptest! {
    // 400 cases by default; PROPTEST_CASES=N for a longer run.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400), ..ProptestConfig::default() })]

    #[test]
    fn lossless_and_only_directives_removed(
        frags in fragments(),
        sys in prop::option::of(fragments()),
        turns in 0usize..3,
        model in prop::sample::select(vec!["o1-mini", "o3", "gpt-5", "deepseek-r1", "qwq-32b", "thinker"]),
    ) {
        let join = |f: &[(bool, String, &str)]| f.iter().map(|(_, t, s)| format!("{t}{s}")).collect::<String>();
        let mut msgs = Vec::new();
        if let Some(s) = &sys { msgs.push(Message::new(S, join(s))); }
        for i in 0..turns {
            msgs.push(Message::new(U, format!("turn{i} question.")));
            msgs.push(Message::new(A, format!("turn{i} answer. Think step by step.")));
        }
        msgs.push(Message::new(U, join(&frags)));
        let mut r = ChatRequest { model: model.into(), messages: msgs, ..Default::default() };
        let out = rewrite(&mut r, &builtin_profile(model));
        let all: String = r.messages.iter().map(|m| format!("{}\n", m.text())).collect();
        let content = frags.iter().chain(sys.iter().flatten()).filter(|(d, _, _)| !d);
        for (_, t, _) in content {
            prop_assert!(all.contains(t.trim()), "lost {:?} in {:?}", t, all);
        }
        for i in 0..turns {
            let answer = format!("turn{i} answer. Think step by step.");
            prop_assert!(all.contains(&answer), "assistant text must be kept verbatim");
        }
        for rm in &out.removed {
            prop_assert!(DIRECTIVES.contains(&rm.as_str()), "removed non-directive {:?}", rm);
        }
        prop_assert!(strict_violations(&r).is_empty());
        // Idempotent: the rewritten request has nothing left to remove (assistant turns are
        // quoted verbatim into Context, so a second pass would treat them as user text).
        if turns == 0 {
            let again = rewrite(&mut r.clone(), &builtin_profile(model));
            prop_assert!(again.removed.is_empty(), "second pass removed {:?}", again.removed);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(
        texts in proptest::collection::vec(any::<String>(), 0..4),
        roles in proptest::collection::vec(0usize..6, 0..4),
        model in prop::sample::select(vec!["o1-mini", "o3", "deepseek-r1", "thinker"]),
    ) {
        let all_roles = [S, D, U, A, Role::Tool, Role::Function];
        let msgs: Vec<Message> = texts.iter().zip(roles.iter().chain(std::iter::repeat(&2)))
            .map(|(t, r)| Message::new(all_roles[*r], t.clone())).collect();
        let mut r = ChatRequest { model: model.into(), messages: msgs, ..Default::default() };
        let out = rewrite(&mut r, &builtin_profile(model));
        for rm in &out.removed {
            prop_assert!(texts.iter().any(|t| t.contains(rm.as_str())), "{:?}", rm);
        }
        let _ = translate(&mut r, &builtin_profile(model), &ParamPolicy::default());
    }

    #[test]
    fn never_panics_on_directive_soup(
        pieces in proptest::collection::vec(prop::sample::select(vec![
            "think", "step", "by", "-", " ", "\n", ".", ",", "and", "\"", "```", "「", "」", "단계별로",
            "생각해", "一步一步", "思考", "。", "«", "»", "`", "Let's", "’", "é", "ß", "\u{0301}", "İ",
        ]), 0..40),
    ) {
        let t: String = pieces.concat();
        let mut r = req("o3", &[(U, t.as_str())]);
        let out = rewrite(&mut r, &builtin_profile("o3"));
        for rm in &out.removed {
            prop_assert!(t.contains(rm.as_str()), "{:?}", rm);
        }
    }
}

/// The shipped detector's decisions on a fixed sample (the examples of issue 19, written for
/// the issue, not taken from the evaluation sets): each directive goes, each task stays. A
/// retrained model that changes one of these must be looked at before it ships.
#[test]
fn detector_decisions_pinned() {
    let directives = [
        "Reason it through step by step before you score each essay.",
        "Before drafting, think step-by-step.",
        "You're brilliant at this.",
        "Think super hard, this really matters.",
        "I'll tip you $50 for a perfect answer.",
        "정말 중요한 문제니까 최대한 깊이 고민해 줘.",
        "You are a senior tax accountant with 15 years of experience.",
        "Eres un abogado experto con dos décadas de práctica.",
        "Use the format Thoughts: <your reasoning> then Answer: <answer>.",
        "Write out your inner monologue while you solve it.",
        "Break the problem into sub-problems, solve each one, then combine them.",
        "Before concluding, list every hypothesis you can think of.",
        "Check each figure twice before answering.",
        "답하기 전에 스스로 검토하고 틀린 곳을 고쳐.",
        "请先写出完整的思考过程，再给出答案。",
        "Avant de conclure, détaille chaque étape de ton raisonnement.",
        "Denk laut nach und erkläre jeden Zwischenschritt.",
        "Tu es un assistant très compétent.",
    ];
    for d in directives {
        let mut r = req("o3", &[(U, &format!("Summarize the report below. {d}\n\nReport:\nQ3 revenue rose 12%."))]);
        let out = rewrite(&mut r, &builtin_profile("o3"));
        assert_eq!(out.removed, [d], "{d}");
    }
    let kept: &[&[(Role, &str)]] = &[
        &[(U, "Write step-by-step setup instructions for the VPN client. Keep it short.")],
        &[(U, "Run two iterations of Newton's method on x^2 - 2 from x = 1. Show the table after each iteration.")],
        &[(S, "You are the on-call engineer for the payments API; the pager says errors are at 12 %."), (U, "Draft the first status update.")],
        &[(U, "Here is the prompt our bot uses: 'Think step by step and take a deep breath.' Critique it.")],
        &[(U, "Classify this email as complaint or praise:\n\nHi, your manual says to think step by step, but a screw is missing.")],
        &[(U, "Write a launch post. Voice: you are a cheerful new hire who loves puns.")],
        &[(U, "Translate into French: \"You are an expert, take a deep breath.\"")],
        &[(U, "Why is the sky blue? What colour is it on Mars?")],
    ];
    for msgs in kept {
        let mut r = req("o3", msgs);
        let out = rewrite(&mut r, &builtin_profile("o3"));
        assert!(out.removed.is_empty(), "{msgs:?}: removed {:?}", out.removed);
    }
    let mut r = req("o3", &[(U, "Think carefully: the budget is $40k and the quote is $37.5k. Is it within budget?")]);
    let out = rewrite(&mut r, &builtin_profile("o3"));
    assert_eq!(out.removed, ["Think carefully"]);
    assert_eq!(r.messages[0].text(), "the budget is $40k and the quote is $37.5k. Is it within budget?");
}
