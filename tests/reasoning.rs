//! The reasoning-model adapter end to end: requests bound for a reasoning model are translated
//! so the strict mock accepts them (every built-in profile), routed chain-of-thought prompts
//! arrive in goal form, chat-routed requests keep their parameters and prompts, and the
//! `gearbox rewrite` contract.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::api::parse_chat_request;
use gearbox::mock::chat::strict_check;
use gearbox::mock::MockOptions;
use gearbox::rewrite::{adapt, builtin_profile, ParamPolicy, Unsupported, BUILTIN_PROFILES};
use serde_json::{json, Value};

const MAXIMAL: &str = r#"{"model":"m","messages":[
  {"role":"system","content":"You are a helpful assistant. Think step by step."},
  {"role":"user","content":"What is 17 * 23? Let's think step by step. Answer with just the number."}],
  "max_tokens":50,"temperature":0.3,"top_p":0.9,"presence_penalty":0.5,"frequency_penalty":0.5,
  "logprobs":true,"top_logprobs":2,"logit_bias":{"50256":-100},"stop":["\n\n"],"n":1}"#;

#[test]
fn strict_mock_accepts_every_translated_request_for_every_profile() {
    let policy = ParamPolicy {
        on_unsupported: Unsupported::Drop,
        min_completion_tokens: 1024,
        default_reasoning_effort: Some("medium".into()),
    };
    // A model name for each built-in profile family, as an upstream would call it.
    let names: Vec<String> = BUILTIN_PROFILES
        .iter()
        .map(|p| {
            if *p == "reasoning" {
                "my-local-reasoner".to_string()
            } else {
                format!("{p}-2025")
            }
        })
        .collect();
    for name in names {
        let profile = builtin_profile(&name);
        let mut req = parse_chat_request(MAXIMAL.as_bytes()).unwrap();
        req.model = name.clone();
        assert!(
            strict_check(&req, &name).is_some(),
            "{name}: the maximal request must be rejected before adaptation"
        );
        adapt(&mut req, &profile, &policy).unwrap();
        assert_eq!(
            strict_check(&req, &name),
            None,
            "{name} ({}): {:?}",
            profile.name,
            serde_json::to_string(&req)
        );
        assert!(req.max_completion_tokens.unwrap_or(0) >= 1024, "{name}");
    }
}

const POLICY: &str = r#"
[policy]
routed_models = ["auto"]
[policy.reasoning]
effort = "medium"
min_completion_tokens = 2048

[[teams.rejecting.keys]]
sha256 = "REJECT"
[teams.rejecting.policy.reasoning]
unsupported_params = "reject"
"#;

async fn strict_stack() -> (Running, Running) {
    let mock = start_mock(MockOptions {
        strict: true,
        ..MockOptions::default()
    })
    .await;
    let gw = start_gateway(&config_for(
        mock.addr,
        &POLICY.replace("REJECT", &key_hash("reject-key")),
    ))
    .await;
    (mock, gw)
}

async fn last_body(mock: &Running) -> Value {
    mock_stats(mock).await["last_requests"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["body"]
        .clone()
}

fn cot_request() -> Value {
    json!({
        "model": "auto",
        "temperature": 0.2,
        "max_tokens": 300,
        "messages": [
            {"role": "system", "content": "You are a world-class expert. Think step by step."},
            {"role": "user", "content": "A bag has 5 red and 7 blue marbles. Three are drawn without replacement. What is the probability that exactly two are red? Let's think step by step. Give the exact fraction. Do not round."}
        ]
    })
}

#[tokio::test]
async fn routed_chain_of_thought_reaches_the_reasoning_model_in_goal_form() {
    let (mock, gw) = strict_stack().await;
    let r = post_json(&gw.url("/v1/chat/completions"), &cot_request()).await;
    assert_eq!(
        r.status,
        200,
        "the strict mock must accept the adapted request: {}",
        r.text()
    );
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert_eq!(r.header("x-gearbox-rewritten"), Some("true"));
    let sent = last_body(&mock).await;
    assert_eq!(sent["model"], "o3-mini");
    assert_eq!(sent["reasoning_effort"], "medium");
    assert_eq!(sent["max_completion_tokens"], 2048);
    for gone in ["max_tokens", "temperature"] {
        assert!(
            sent.get(gone).is_none(),
            "{gone} must not reach the reasoning model: {sent}"
        );
    }
    let text = sent["messages"].to_string();
    assert!(!text.to_lowercase().contains("step by step"), "{text}");
    for kept in [
        "5 red and 7 blue",
        "exactly two are red",
        "Give the exact fraction.",
        "Do not round.",
    ] {
        assert!(text.contains(kept), "lost {kept:?}: {text}");
    }
    let user = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .unwrap();
    assert!(user["content"].as_str().unwrap().contains("## Goal"), "{user}");
    assert!(
        sent["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["role"] != "system"),
        "system becomes developer: {sent}"
    );
}

/// A large prompt (past `OFFLOAD_BYTES`) is rewritten on the blocking pool: the same goal form,
/// the same translation, nothing of the task lost.
#[tokio::test]
async fn a_large_prompt_is_rewritten_the_same_way_off_the_event_loop() {
    let (mock, gw) = strict_stack().await;
    let rows: String = (0..60)
        .map(|i| {
            format!(
                "2024-03-{:02} orders={} refunds={}\n",
                i % 28 + 1,
                1000 + i * 7,
                i % 5
            )
        })
        .collect();
    let mut req = cot_request();
    let ask = format!(
        "Here is our order log:\n\n```\n{rows}```\n\nLet's think step by step. Find the day with the highest refund rate and explain the trend. Do not round."
    );
    req["messages"][1]["content"] = json!(ask);
    assert!(req.to_string().len() > gearbox::proxy::routing::OFFLOAD_BYTES * 2);
    let r = post_json(&gw.url("/v1/chat/completions"), &req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert_eq!(r.header("x-gearbox-rewritten"), Some("true"));
    let sent = last_body(&mock).await;
    assert_eq!(sent["max_completion_tokens"], 2048);
    assert!(sent.get("temperature").is_none(), "{sent}");
    let text = sent["messages"].to_string();
    assert!(!text.to_lowercase().contains("step by step"), "{text}");
    for kept in [
        "orders=1000 refunds=0",
        "orders=1413 refunds=4",
        "highest refund rate",
        "Do not round.",
    ] {
        assert!(text.contains(kept), "lost {kept:?}: {text}");
    }
}

#[tokio::test]
async fn chat_routed_requests_keep_parameters_and_prompt() {
    let (mock, gw) = strict_stack().await;
    let body = json!({"model": "auto", "temperature": 0.2, "max_tokens": 50,
        "messages": [{"role": "user", "content": "hey! think step by step: what's a good name for a cat?"}]});
    let r = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-gearbox-route"), Some("chat"));
    assert_eq!(r.header("x-gearbox-rewritten"), Some("false"));
    let sent = last_body(&mock).await;
    assert_eq!(sent["temperature"], 0.2);
    assert_eq!(sent["max_tokens"], 50);
    assert_eq!(sent["messages"], body["messages"]);
}

#[tokio::test]
async fn rewrite_header_off_keeps_the_prompt_but_still_translates() {
    let (mock, gw) = strict_stack().await;
    let r = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[ALPHA, ("x-gearbox-rewrite", "off")],
        cot_request().to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-rewritten"), Some("false"));
    let sent = last_body(&mock).await;
    assert!(sent["messages"].to_string().contains("Let's think step by step."));
    assert!(sent.get("temperature").is_none() && sent.get("max_tokens").is_none());
    request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[ALPHA, ("x-gearbox-rewrite", "maybe")],
        cot_request().to_string(),
    )
    .await
    .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn reject_policy_names_the_parameter() {
    let (mock, gw) = strict_stack().await;
    let e = request(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[("authorization", "Bearer reject-key")],
        cot_request().to_string(),
    )
    .await
    .assert_error(400, "invalid_request");
    assert_eq!(e["param"], "temperature");
    assert_eq!(
        mock_stats(&mock).await["requests_total"],
        0,
        "a rejected request never reaches the upstream"
    );
}

#[tokio::test]
async fn direct_requests_to_a_reasoning_model_are_translated_not_rewritten() {
    let (mock, gw) = strict_stack().await;
    let mut body = cot_request();
    body["model"] = json!("o3-mini");
    let r = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-gearbox-rewritten"), Some("false"));
    let sent = last_body(&mock).await;
    assert!(
        sent["messages"].to_string().contains("Let's think step by step."),
        "not routed: prompt unchanged"
    );
    assert!(sent.get("max_tokens").is_none());
}

#[test]
fn rewrite_command_contract() {
    let dir = std::env::temp_dir().join(format!("gearbox-rewrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.jsonl");
    let lines = [
        json!({"id": "a", "request": cot_request()}).to_string(),
        "{oops".to_string(),
        json!({"id": 3, "request": {"model": "auto", "messages": [{"role": "user", "content": "Write step-by-step installation instructions for nginx on Debian."}]}}).to_string(),
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gearbox"))
        .args(["rewrite", "--input"])
        .arg(&input)
        .args(["--model", "o1-mini"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["id"], "a");
    let removed: Vec<&str> = rows[0]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(removed.iter().any(|r| r.contains("step by step")), "{removed:?}");
    let req = &rows[0]["request"];
    assert_eq!(req["model"], "o1-mini");
    // o1-mini accepts neither system nor developer messages.
    assert!(
        req["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["role"] == "user" || m["role"] == "assistant"),
        "{req}"
    );
    assert_eq!(
        strict_check(
            &parse_chat_request(req.to_string().as_bytes()).unwrap(),
            "o1-mini"
        ),
        None
    );
    assert!(rows[1]["error"].is_string());
    assert_eq!(
        rows[2]["removed"],
        json!([]),
        "a step-by-step *output* is a goal, not a directive"
    );
    assert!(rows[2]["request"]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .contains("step-by-step installation instructions"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--detector FILE` replaces the compiled-in detector for `--score` and `--input` too, so a
/// candidate model can be looked at before it ships: the all-zero model scores every unit 0.5
/// and removes nothing.
#[test]
fn rewrite_score_and_input_take_a_candidate_detector() {
    let dir = std::env::temp_dir().join(format!("gearbox-detector-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zero = dir.join("zero.bin");
    std::fs::write(
        &zero,
        gearbox::rewrite::detect::DetectorModel::zeros(8).to_bytes(),
    )
    .unwrap();
    let text = dir.join("units.txt");
    std::fs::write(&text, "Think step by step.\nThe invoice is due on Friday.\n").unwrap();
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        json!({"id": "a", "request": cot_request()}).to_string() + "\n",
    )
    .unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gearbox"))
            .arg("rewrite")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let shipped = run(&["--score".as_ref(), text.as_os_str()]);
    let first: f32 = shipped.split_whitespace().next().unwrap().parse().unwrap();
    assert!(first > 0.9, "{shipped}");
    let candidate = run(&[
        "--score".as_ref(),
        text.as_os_str(),
        "--detector".as_ref(),
        zero.as_os_str(),
    ]);
    assert_eq!(
        candidate,
        "0.500  Think step by step.\n0.500  The invoice is due on Friday.\n"
    );
    let rows = run(&[
        "--input".as_ref(),
        input.as_os_str(),
        "--detector".as_ref(),
        zero.as_os_str(),
    ]);
    let row: Value = serde_json::from_str(rows.trim()).unwrap();
    assert_eq!(row["removed"], json!([]), "{row}");
    let rows = run(&["--input".as_ref(), input.as_os_str()]);
    let row: Value = serde_json::from_str(rows.trim()).unwrap();
    assert_ne!(row["removed"], json!([]), "{row}");
    let _ = std::fs::remove_dir_all(&dir);
}
