//! `POST /v1/responses` end to end, for both upstream dialects: `gpt-4o-mini` on an upstream
//! that speaks only chat (a `gearbox mock --chat-only`, whose `/v1/responses` is a 404, so the
//! gateway must translate both ways) and `r-mini` on one that speaks Responses (a second mock;
//! relayed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::Bytes;
use common::*;
use gearbox::mock::MockOptions;
use serde_json::{json, Value};

const BETA: (&str, &str) = ("authorization", "Bearer beta-key");

/// A mock acting as a Chat-Completions-only server.
fn chat_only(opts: MockOptions) -> MockOptions {
    MockOptions {
        chat_only: true,
        ..opts
    }
}

/// The gateway in front of two mocks: `chat` (Chat Completions only) behind upstream `mock`
/// and `resp` (speaking Responses) behind upstream `mockr`.
struct Stack {
    chat: Running,
    resp: Running,
    gw: Running,
}

impl Stack {
    /// The mock that serves `model`.
    fn mock(&self, model: &str) -> &Running {
        if model == "r-mini" {
            &self.resp
        } else {
            &self.chat
        }
    }
}

async fn setup_with(more: &str) -> Stack {
    let chat = start_mock(chat_only(MockOptions::default())).await;
    let resp = start_mock(MockOptions::default()).await;
    let gw = start_gateway(&config_for(
        chat.addr,
        &format!("{}{more}", responses_upstream(resp.addr)),
    ))
    .await;
    Stack { chat, resp, gw }
}

async fn setup() -> Stack {
    setup_with("").await
}

const DIALECTS: [(&str, &str); 2] = [
    ("gpt-4o-mini", "/v1/chat/completions"),
    ("r-mini", "/v1/responses"),
];

async fn last_upstream_path(mock: &Running) -> String {
    let stats = mock_stats(mock).await;
    let last = stats["last_requests"].as_array().unwrap().last().unwrap().clone();
    last["path"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_chat_only_mock_answers_404_on_responses_like_an_older_server() {
    let chat = start_mock(chat_only(MockOptions::default())).await;
    let resp = start_mock(MockOptions::default()).await;
    let body = json!({"model": "gpt-4o-mini", "input": "hi"});
    let r = post_json(&chat.url("/v1/responses"), &body).await;
    r.assert_error(404, "not_found");
    assert_eq!(post_json(&resp.url("/v1/responses"), &body).await.status, 200);
    let chat_body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let r = post_json(&chat.url("/v1/chat/completions"), &chat_body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A gateway that declared it as speaking Responses gets the 404 relayed: the translation
    // (api = "chat") is what makes it usable.
    let gw = start_gateway(&config_for(resp.addr, &responses_upstream(chat.addr))).await;
    let r = post_json(
        &gw.url("/v1/responses"),
        &json!({"model": "r-mini", "input": "hi"}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text());
}

#[tokio::test]
async fn plain_response_in_both_dialects() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, path) in DIALECTS {
        let body = json!({"model": model, "input": "What is the capital of France?",
            "instructions": "Answer briefly.", "metadata": {"k": "v"}});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        let v = r.json();
        assert!(v["id"].as_str().unwrap().starts_with("resp_"), "{v}");
        assert_eq!(v["object"], "response");
        assert_eq!(v["status"], "completed");
        assert_eq!(v["output"][0]["type"], "message");
        assert!(!v["output"][0]["content"][0]["text"].as_str().unwrap().is_empty());
        assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
        assert_eq!(
            v["usage"]["total_tokens"].as_u64().unwrap(),
            v["usage"]["input_tokens"].as_u64().unwrap() + v["usage"]["output_tokens"].as_u64().unwrap()
        );
        assert_eq!(v["metadata"], json!({"k": "v"}));
        assert_eq!(last_upstream_path(st.mock(model)).await, path, "{model}");
        // Stored and readable by its id.
        let id = v["id"].as_str().unwrap();
        let got = get(&gw.url(&format!("/v1/responses/{id}"))).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json()["output"], v["output"]);
    }
    let metrics = request("GET", &gw.url("/metrics"), &[], Bytes::new())
        .await
        .text();
    assert!(
        metrics.contains("endpoint=\"responses\""),
        "no responses endpoint in metrics"
    );
}

#[tokio::test]
async fn streamed_events_are_in_order_with_sequence_numbers() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, path) in DIALECTS {
        let body = json!({"model": model, "input": "Stream me a short answer", "stream": true});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        let events: Vec<Value> = sse_data(&r.text())
            .iter()
            .map(|d| serde_json::from_str(d).unwrap_or_else(|_| panic!("{model}: not JSON: {d}")))
            .collect();
        let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types.first().copied(),
            Some("response.created"),
            "{model}: {types:?}"
        );
        assert_eq!(types[1], "response.in_progress");
        assert_eq!(types[2], "response.output_item.added");
        assert_eq!(types[3], "response.content_part.added");
        assert!(types.contains(&"response.output_text.delta"));
        let tail = &types[types.len() - 4..];
        assert_eq!(
            tail,
            [
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed"
            ],
            "{model}"
        );
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e["sequence_number"], i as u64, "{model}");
        }
        let deltas: String = events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        let done = &events.last().unwrap()["response"];
        assert_eq!(done["output"][0]["content"][0]["text"], deltas.as_str());
        assert!(done["usage"]["output_tokens"].as_u64().unwrap() > 0);
        assert_eq!(last_upstream_path(st.mock(model)).await, path);
        // The completed stream was stored.
        let id = done["id"].as_str().unwrap();
        assert_eq!(
            get(&gw.url(&format!("/v1/responses/{id}"))).await.status,
            200,
            "{model}"
        );
    }
}

#[tokio::test]
async fn function_tool_round_trip_through_previous_response_id() {
    let st = setup().await;
    let gw = &st.gw;
    let tools = json!([{"type": "function", "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
    for (model, _) in DIALECTS {
        let first = post_json(
            &gw.url("/v1/responses"),
            &json!({"model": model, "input": "Weather in Paris?", "tools": tools}),
        )
        .await;
        assert_eq!(first.status, 200, "{}", first.text());
        let first = first.json();
        let call = &first["output"][0];
        assert_eq!(call["type"], "function_call", "{first}");
        assert_eq!(call["name"], "get_weather");
        let second = post_json(
            &gw.url("/v1/responses"),
            &json!({"model": model, "previous_response_id": first["id"], "tools": tools,
                "input": [{"type": "function_call_output", "call_id": call["call_id"], "output": "{\"temp\":21}"}]}),
        )
        .await;
        assert_eq!(second.status, 200, "{}", second.text());
        let second = second.json();
        assert_eq!(second["output"][0]["type"], "message", "{second}");
        assert_eq!(second["previous_response_id"], first["id"]);
        // The upstream saw the whole conversation: the question, the call and its output.
        let stats = mock_stats(st.mock(model)).await;
        let sent = &stats["last_requests"].as_array().unwrap().last().unwrap()["body"];
        let text = sent.to_string();
        assert!(
            text.contains("Weather in Paris?") && text.contains("get_weather") && text.contains("temp"),
            "{model}: {text}"
        );
        assert!(sent.get("previous_response_id").is_none());
        // input_items lists what the second answer saw.
        let id = second["id"].as_str().unwrap();
        let items = get(&gw.url(&format!("/v1/responses/{id}/input_items")))
            .await
            .json();
        let kinds: Vec<&str> = items["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["message", "function_call", "function_call_output"],
            "{model}"
        );
    }
}

#[tokio::test]
async fn store_is_scoped_by_team() {
    let st = setup().await;
    let gw = &st.gw;
    let r = post_json(
        &gw.url("/v1/responses"),
        &json!({"model": "gpt-4o-mini", "input": "hi"}),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let url = gw.url(&format!("/v1/responses/{id}"));
    // Another team: not found, exactly like an unknown id, and it cannot delete it.
    let foreign = request("GET", &url, &[BETA], Bytes::new()).await;
    foreign.assert_error(404, "not_found");
    request("DELETE", &url, &[BETA], Bytes::new())
        .await
        .assert_error(404, "not_found");
    let cont = request(
        "POST",
        &gw.url("/v1/responses"),
        &[BETA, ("content-type", "application/json")],
        json!({"model": "gpt-4o-mini", "input": "more", "previous_response_id": id}).to_string(),
    )
    .await;
    let e = cont.assert_error(404, "not_found");
    assert_eq!(e["param"], "previous_response_id");
    // The owner reads and deletes it.
    assert_eq!(get(&url).await.status, 200);
    let del = request("DELETE", &url, &[ALPHA], Bytes::new()).await;
    assert_eq!(del.json()["deleted"], true);
    get(&url).await.assert_error(404, "not_found");
    // store: false keeps nothing.
    let r = post_json(
        &gw.url("/v1/responses"),
        &json!({"model": "gpt-4o-mini", "input": "hi", "store": false}),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    get(&gw.url(&format!("/v1/responses/{id}")))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn bad_input_gets_a_400_naming_the_field() {
    let st = setup().await;
    let gw = &st.gw;
    let cases = [
        (json!({"model": "gpt-4o-mini"}), "input"),
        (
            json!({"model": "gpt-4o-mini", "input": [{"type": "computer_call"}]}),
            "input[0].type",
        ),
        (
            json!({"model": "gpt-4o-mini", "input": "x", "tools": [{"type": "web_search_preview"}]}),
            "tools[0].type",
        ),
        (
            json!({"model": "gpt-4o-mini", "input": "x", "previous_response_id": 5}),
            "previous_response_id",
        ),
    ];
    for (body, param) in cases {
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["param"], param, "{body}");
    }
    let r = post_json(
        &gw.url("/v1/responses"),
        &json!({"model": "gpt-4o-mini", "input": "x", "previous_response_id": "resp_nope"}),
    )
    .await;
    assert_eq!(r.assert_error(404, "not_found")["param"], "previous_response_id");
}

/// `include` on a chat upstream: what has nothing to add is accepted, output log probabilities
/// (not translated back) and unknown values are a 400 naming the item, before any call. (A
/// Responses upstream gets `include` as it came: the check is the chat translation's only.)
#[tokio::test]
async fn include_on_a_chat_upstream_is_checked() {
    let st = setup().await;
    let gw = &st.gw;
    let body = |model: &str, include: Value| json!({"model": model, "input": "hi", "include": include});
    let r = post_json(
        &gw.url("/v1/responses"),
        &body(
            "gpt-4o-mini",
            json!(["reasoning.encrypted_content", "message.input_image.image_url"]),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let before = mock_stats(&st.chat).await["requests_total"].clone();
    for (include, param) in [
        (json!(["message.output_text.logprobs"]), "include[0]"),
        (
            json!(["reasoning.encrypted_content", "no.such.thing"]),
            "include[1]",
        ),
        (json!("reasoning.encrypted_content"), "include"),
    ] {
        let r = post_json(&gw.url("/v1/responses"), &body("gpt-4o-mini", include)).await;
        let e = r.assert_error(400, "invalid_request");
        assert_eq!(e["param"], param, "{e}");
    }
    assert_eq!(mock_stats(&st.chat).await["requests_total"], before);
}

/// A background request a chat upstream cannot take is refused at submit, as in the foreground
/// (before: accepted as `queued`, then the job failed with the 400 as its stored error).
#[tokio::test]
async fn a_background_request_a_chat_upstream_cannot_take_is_a_400_at_submit() {
    let st = setup().await;
    let gw = &st.gw;
    for (body, param) in [
        (
            json!({"model": "gpt-4o-mini", "input": "x", "background": true,
                "reasoning": {"summary": "detailed"}}),
            "reasoning.summary",
        ),
        (
            json!({"model": "gpt-4o-mini", "input": "x", "background": true,
                "include": ["message.output_text.logprobs"]}),
            "include[0]",
        ),
    ] {
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        let e = r.assert_error(400, "invalid_request");
        assert_eq!(e["param"], param, "{e}");
    }
    assert_eq!(mock_stats(&st.chat).await["requests_total"], 0);
}

#[tokio::test]
async fn reasoning_summary_is_a_400_on_a_chat_upstream_unless_auto() {
    let st = setup().await;
    let gw = &st.gw;
    let body = |model: &str, summary: &str, stream: bool| {
        json!({"model": model, "input": "Think it through", "stream": stream,
            "reasoning": {"effort": "low", "summary": summary}})
    };
    // A chat upstream cannot summarise reasoning: a demanded summary is refused before any call.
    for summary in ["detailed", "concise"] {
        for stream in [false, true] {
            let r = post_json(&gw.url("/v1/responses"), &body("gpt-4o-mini", summary, stream)).await;
            let e = r.assert_error(400, "invalid_request");
            assert_eq!(e["param"], "reasoning.summary", "{e}");
            assert!(e["message"].as_str().unwrap().contains("Chat Completions"), "{e}");
        }
    }
    assert_eq!(mock_stats(&st.chat).await["requests_total"], 0);
    // `auto` may get no summary: answered, without one, the request's reasoning echoed.
    let r = post_json(&gw.url("/v1/responses"), &body("gpt-4o-mini", "auto", false)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["reasoning"]["summary"], "auto");
    assert!(
        v["output"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["type"] != "reasoning"),
        "{v}"
    );
    let sent = &mock_stats(&st.chat).await["last_requests"][0]["body"];
    assert_eq!(sent["reasoning_effort"], "low", "{sent}");
    // A Responses upstream gets the request as it came.
    let r = post_json(&gw.url("/v1/responses"), &body("r-mini", "detailed", false)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let sent = &mock_stats(&st.resp).await["last_requests"][0]["body"];
    assert_eq!(sent["reasoning"]["summary"], "detailed", "{sent}");
}

#[tokio::test]
async fn item_references_to_stored_items_are_resolved_for_the_team_only() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, _) in DIALECTS {
        let first = post_json(
            &gw.url("/v1/responses"),
            &json!({"model": model, "input": "Name a river"}),
        )
        .await
        .json();
        let item_id = first["output"][0]["id"].as_str().unwrap().to_string();
        let answer = first["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        // The Vercel AI SDK's second turn: the earlier answer by reference.
        let input = json!([{"role": "user", "content": "Name a river"},
            {"type": "item_reference", "id": item_id},
            {"role": "user", "content": "And another?"}]);
        let r = post_json(&gw.url("/v1/responses"), &json!({"model": model, "input": input})).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        let stats = mock_stats(st.mock(model)).await;
        let sent = stats["last_requests"].as_array().unwrap().last().unwrap()["body"].to_string();
        assert!(
            sent.contains(&answer),
            "{model}: the referenced answer was not sent: {sent}"
        );
        assert!(!sent.contains("item_reference"), "{model}: {sent}");
        // Another team's reference is not resolved: a chat upstream cannot take it.
        if model == "gpt-4o-mini" {
            let r = request(
                "POST",
                &gw.url("/v1/responses"),
                &[BETA, ("content-type", "application/json")],
                json!({"model": model, "input": input}).to_string(),
            )
            .await;
            let e = r.assert_error(400, "invalid_request");
            assert_eq!(e["param"], "input[1].id", "{e}");
            assert!(!e["message"].as_str().unwrap().contains(&answer));
        }
    }
}

#[tokio::test]
async fn reasoning_content_of_a_chat_upstream_becomes_a_reasoning_item() {
    // A chat-only upstream that shows its reasoning as `reasoning_content` (vLLM, DeepSeek).
    let chat = start_mock(chat_only(MockOptions {
        reasoning_content: true,
        ..MockOptions::default()
    }))
    .await;
    let gw = start_gateway(&config_for(chat.addr, "")).await;
    let body = json!({"model": "o3-mini", "input": "What is two plus two?"});
    let r = post_json(&gw.url("/v1/responses"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let sent = mock_stats(&chat).await["last_requests"][0]["body"].clone();
    assert!(sent.get("messages").is_some(), "translated to chat: {sent}");
    let (reasoning, message) = (&v["output"][0], &v["output"][1]);
    assert_eq!(reasoning["type"], "reasoning", "{v}");
    assert_eq!(reasoning["summary"], json!([]));
    assert_eq!(reasoning["content"][0]["type"], "reasoning_text");
    let thought = reasoning["content"][0]["text"].as_str().unwrap().to_string();
    assert!(thought.contains("reasoning tokens"), "{thought}");
    assert_eq!(message["type"], "message");
    // Streamed: the same reasoning as reasoning_text deltas, before the message.
    let mut sbody = body.clone();
    sbody["stream"] = json!(true);
    let r = post_json(&gw.url("/v1/responses"), &sbody).await;
    let events: Vec<Value> = sse_data(&r.text())
        .iter()
        .filter(|d| d.as_str() != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let deltas: String = events
        .iter()
        .filter(|e| e["type"] == "response.reasoning_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, thought);
    let first_text = events
        .iter()
        .position(|e| e["type"] == "response.output_text.delta")
        .unwrap();
    let reasoning_done = events
        .iter()
        .position(|e| e["type"] == "response.reasoning_text.done")
        .unwrap();
    assert!(reasoning_done < first_text);
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["output"][0]["content"][0]["text"], thought.as_str());
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence_number"], i as u64);
    }
    // Continuing the conversation: the chat upstream is not sent the reasoning back.
    let next = json!({"model": "o3-mini", "input": "And three?", "previous_response_id": v["id"]});
    assert_eq!(post_json(&gw.url("/v1/responses"), &next).await.status, 200);
    let stats = mock_stats(&chat).await;
    let sent = &stats["last_requests"].as_array().unwrap().last().unwrap()["body"];
    assert!(!sent.to_string().contains("reasoning tokens"), "{sent}");
    assert!(sent.to_string().contains("two plus two"), "{sent}");
}

#[tokio::test]
async fn json_schema_format_is_enforced_by_the_schema_stage() {
    let st = setup().await;
    let gw = &st.gw;
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"], "additionalProperties": false});
    for stream in [false, true] {
        let body = json!({"model": "gpt-4o-mini", "input": "Invent a person", "stream": stream,
            "text": {"format": {"type": "json_schema", "name": "person", "schema": schema, "strict": true}}});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("x-gearbox-schema"), Some("valid"));
        let text = if stream {
            let events = sse_data(&r.text());
            let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
            assert_eq!(last["type"], "response.completed");
            last["response"]["output"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_string()
        } else {
            r.json()["output"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let person: Value = serde_json::from_str(&text).unwrap();
        assert!(person["name"].is_string() && person["age"].is_i64(), "{person}");
    }
}

#[tokio::test]
async fn routed_name_goes_to_reasoning_in_goal_form_with_usage_in_responses_shape() {
    let mock = start_mock(chat_only(MockOptions {
        strict: true,
        ..MockOptions::default()
    }))
    .await;
    let policy = "[policy]\nrouted_models = [\"auto\"]\n[policy.reasoning]\neffort = \"medium\"\n";
    let gw = start_gateway(&config_for(mock.addr, policy)).await;
    // The last user turn decides: an earlier chatty turn does not.
    let body = json!({
        "model": "auto",
        "temperature": 0.2,
        "instructions": "You are a world-class expert. Think step by step.",
        "input": [
            {"role": "user", "content": "hi there"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]},
            {"role": "user", "content": "A bag has 5 red and 7 blue marbles. Three are drawn without replacement. What is the probability that exactly two are red? Let's think step by step. Give the exact fraction. Do not round."}
        ]
    });
    let r = post_json(&gw.url("/v1/responses"), &body).await;
    assert_eq!(
        r.status,
        200,
        "the strict mock must accept the adapted request: {}",
        r.text()
    );
    assert_eq!(r.header("x-gearbox-route"), Some("reasoning"));
    assert_eq!(r.header("x-gearbox-rewritten"), Some("true"));
    let v = r.json();
    assert!(
        v["usage"]["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0,
        "{v}"
    );
    let stats = mock_stats(&mock).await;
    let sent = &stats["last_requests"].as_array().unwrap().last().unwrap()["body"];
    assert_eq!(sent["model"], "o3-mini");
    assert_eq!(sent["reasoning_effort"], "medium");
    assert!(sent.get("temperature").is_none(), "{sent}");
    assert!(
        !sent["messages"].to_string().contains("Think step by step"),
        "{sent}"
    );
}

#[tokio::test]
async fn a_stream_cut_mid_way_ends_with_an_error_not_a_completed_response() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, _) in DIALECTS {
        mock_fault(
            st.mock(model),
            json!({"kind": "cut", "after_chunks": 2, "model": "gpt-4o-mini"}),
        )
        .await;
        let body = json!({"model": model, "input": "cut me", "stream": true});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let events = sse_data(&r.text());
        assert!(!r.text().contains("response.completed"), "{model}: {}", r.text());
        let last_json = events.iter().rev().find(|d| d.as_str() != "[DONE]").unwrap();
        let last: Value = serde_json::from_str(last_json).unwrap();
        assert!(
            last["type"] == "error" || last.get("error").is_some(),
            "{model}: {last}"
        );
        // Nothing was stored for the broken answer.
        let created: Value = serde_json::from_str(&events[0]).unwrap();
        let id = created["response"]["id"].as_str().unwrap_or("resp_none");
        get(&gw.url(&format!("/v1/responses/{id}")))
            .await
            .assert_error(404, "not_found");
    }
}

/// The team's `gearbox_tokens_total` of `kind` (summed over models), 0 when not yet counted.
async fn team_tokens(gw: &Running, team: &str, kind: &str) -> u64 {
    let metrics = request("GET", &gw.url("/metrics"), &[], Bytes::new())
        .await
        .text();
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("gearbox_tokens_total{")
                && l.contains(&format!("team=\"{team}\""))
                && l.contains(&format!("type=\"{kind}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// A stream cut by `max_output_tokens` ends in `response.incomplete`, whose usage the upstream
/// bills: it is counted (and settles the reservation) like a completed one, in both dialects
/// (before, a relayed stream counted usage only from `response.completed` and refunded it all).
#[tokio::test]
async fn a_stream_cut_by_max_output_tokens_is_accounted_from_response_incomplete() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, _) in DIALECTS {
        let (prompt0, completion0) = (
            team_tokens(gw, "alpha", "prompt").await,
            team_tokens(gw, "alpha", "completion").await,
        );
        let body = json!({"model": model, "input": "Tell me a long story about the sea",
            "stream": true, "max_output_tokens": 3});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        let last: Value = serde_json::from_str(sse_data(&r.text()).last().unwrap()).unwrap();
        assert_eq!(last["type"], "response.incomplete", "{model}: {last}");
        let usage = &last["response"]["usage"];
        let (input, output) = (
            usage["input_tokens"].as_u64().unwrap(),
            usage["output_tokens"].as_u64().unwrap(),
        );
        assert!(input > 0 && output > 0, "{model}: {usage}");
        // The tap settles when the relay sees the end; give the counter a bounded while.
        let mut seen = (0, 0);
        for _ in 0..100 {
            seen = (
                team_tokens(gw, "alpha", "prompt").await - prompt0,
                team_tokens(gw, "alpha", "completion").await - completion0,
            );
            if seen == (input, output) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            seen,
            (input, output),
            "{model}: tokens counted (prompt, completion)"
        );
    }
}

/// A stream that ends in `response.incomplete` is stored like a non-streamed incomplete answer,
/// in both dialects: `GET` reads it and `previous_response_id` continues it (before, a relayed
/// stream was stored only when it ended in `response.completed`, so both were a 404).
#[tokio::test]
async fn a_stream_ending_incomplete_is_stored_and_continued() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, _) in DIALECTS {
        let body = json!({"model": model, "input": "Tell me a long story about the sea",
            "stream": true, "max_output_tokens": 3});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        let last: Value = serde_json::from_str(sse_data(&r.text()).last().unwrap()).unwrap();
        assert_eq!(last["type"], "response.incomplete", "{model}: {last}");
        let id = last["response"]["id"].as_str().unwrap().to_string();
        let got = get(&gw.url(&format!("/v1/responses/{id}"))).await;
        assert_eq!(got.status, 200, "{model}: {}", got.text());
        let got = got.json();
        assert_eq!(got["status"], "incomplete", "{model}: {got}");
        assert_eq!(got["output"], last["response"]["output"], "{model}");
        let partial = got["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!partial.is_empty(), "{model}: {got}");
        let next = post_json(
            &gw.url("/v1/responses"),
            &json!({"model": model, "input": "Go on", "previous_response_id": id}),
        )
        .await;
        assert_eq!(next.status, 200, "{model}: {}", next.text());
        assert_eq!(next.json()["previous_response_id"], id.as_str(), "{model}");
        // The upstream was sent the conversation: the question, the partial answer, the follow-up.
        let stats = mock_stats(st.mock(model)).await;
        let sent = stats["last_requests"].as_array().unwrap().last().unwrap()["body"].to_string();
        assert!(
            sent.contains("long story about the sea") && sent.contains(&partial) && sent.contains("Go on"),
            "{model}: {sent}"
        );
    }
}

/// A streamed continuation names the client's `previous_response_id` in every response object
/// of its events and in the stored response, in both dialects (before, a relayed stream showed
/// `null`, the upstream having been sent the conversation instead of the id; a non-streamed
/// relay already named it).
#[tokio::test]
async fn a_streamed_continuation_names_its_previous_response_in_both_dialects() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, _) in DIALECTS {
        let first = post_json(
            &gw.url("/v1/responses"),
            &json!({"model": model, "input": "Name a colour"}),
        )
        .await;
        assert_eq!(first.status, 200, "{model}: {}", first.text());
        let prev = first.json()["id"].as_str().unwrap().to_string();
        let body = json!({"model": model, "input": "Another one", "stream": true,
            "previous_response_id": prev});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        let events = events_of(&r.text());
        let with_response: Vec<&Value> = events.iter().filter(|e| e.get("response").is_some()).collect();
        let types: Vec<&str> = with_response
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["response.created", "response.in_progress", "response.completed"],
            "{model}"
        );
        for e in &with_response {
            assert_eq!(
                e["response"]["previous_response_id"],
                prev.as_str(),
                "{model}: {e}"
            );
        }
        // The other events are relayed as they were, in order.
        assert_eq!(
            seqs(&events),
            (0..events.len() as u64).collect::<Vec<_>>(),
            "{model}"
        );
        let id = events.last().unwrap()["response"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let got = get(&gw.url(&format!("/v1/responses/{id}"))).await;
        assert_eq!(got.status, 200, "{model}: {}", got.text());
        assert_eq!(got.json()["previous_response_id"], prev.as_str(), "{model}");
    }
}

// ---- Background mode (`background: true`) ----

async fn submit_background(gw: &Running, model: &str) -> Value {
    let body = json!({"model": model, "input": "Summarise the history of Rome.", "background": true,
        "metadata": {"job": "1"}});
    let r = post_json(&gw.url("/v1/responses"), &body).await;
    assert_eq!(r.status, 200, "{model}: {}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "queued", "{v}");
    assert_eq!(v["background"], true, "{v}");
    assert!(v["id"].as_str().unwrap().starts_with("resp_"), "{v}");
    v
}

async fn cancel(gw: &Running, id: &str, key: (&str, &str)) -> Resp {
    request(
        "POST",
        &gw.url(&format!("/v1/responses/{id}/cancel")),
        &[key],
        Bytes::new(),
    )
    .await
}

#[tokio::test]
async fn background_is_queued_then_in_progress_then_completed_in_both_dialects() {
    let st = setup().await;
    let gw = &st.gw;
    for (model, path) in DIALECTS {
        let mock = st.mock(model);
        set_mock_ttft(mock, 300).await;
        let v = submit_background(gw, model).await;
        let id = v["id"].as_str().unwrap();
        let (seen, done) = poll_until(gw, id, |s| s == "completed" || s == "failed").await;
        assert!(seen.contains(&"in_progress".to_string()), "{model}: {seen:?}");
        assert_eq!(done["status"], "completed", "{model}: {done}");
        assert_eq!(done["id"], v["id"]);
        assert_eq!(done["background"], true);
        assert_eq!(done["metadata"], json!({"job": "1"}));
        assert!(
            !done["output"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .is_empty(),
            "{done}"
        );
        assert!(done["usage"]["output_tokens"].as_u64().unwrap() > 0);
        assert_eq!(last_upstream_path(mock).await, path, "{model}");
        // The upstream never sees the background flag.
        let stats = mock_stats(mock).await;
        let last = stats["last_requests"].as_array().unwrap().last().unwrap().clone();
        assert!(last["body"].get("background").is_none(), "{last}");
        // Continuing from a background response works like any stored one.
        let next = json!({"model": model, "input": "And then?", "previous_response_id": id});
        assert_eq!(post_json(&gw.url("/v1/responses"), &next).await.status, 200);
    }
    // What background mode refuses, naming the field.
    for (extra, param) in [(json!({"store": false}), "store")] {
        let mut body = json!({"model": "gpt-4o-mini", "input": "x", "background": true});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(
            r.assert_error(400, "invalid_request")["param"],
            param,
            "{}",
            r.text()
        );
    }
    let metrics = request("GET", &gw.url("/metrics"), &[], Bytes::new())
        .await
        .text();
    assert!(
        metrics.contains("gearbox_background_jobs{state=\"running\",team=\"alpha\"} 0"),
        "{metrics}"
    );
    for line in [
        "gearbox_background_jobs_finished_total{status=\"completed\",team=\"alpha\"} 2",
        "gearbox_background_limit{kind=\"queued\"} 100",
        "gearbox_background_limit{kind=\"running\"} 4",
    ] {
        assert!(metrics.contains(line), "no {line} in {metrics}");
    }
}

#[tokio::test]
async fn a_background_job_whose_upstream_refuses_is_stored_failed_and_counted() {
    let st = setup().await;
    for (model, _) in DIALECTS {
        mock_fault(
            st.mock(model),
            json!({"kind": "status", "status": 400, "message": "mock says no"}),
        )
        .await;
        let v = submit_background(&st.gw, model).await;
        let (_, done) = poll_until(&st.gw, v["id"].as_str().unwrap(), |s| {
            s == "completed" || s == "failed"
        })
        .await;
        assert_eq!(done["status"], "failed", "{model}: {done}");
        assert!(done["error"]["code"].is_string(), "{done}");
    }
    let metrics = request("GET", &st.gw.url("/metrics"), &[], Bytes::new())
        .await
        .text();
    let line = "gearbox_background_jobs_finished_total{status=\"failed\",team=\"alpha\"} 2";
    assert!(metrics.contains(line), "no {line} in {metrics}");
}

#[tokio::test]
async fn cancelling_a_running_background_job_drops_the_upstream_call_and_other_teams_get_404() {
    let st = setup().await;
    let (mock, gw) = (&st.chat, &st.gw);
    set_mock_ttft(mock, 2000).await;
    let v = submit_background(gw, "gpt-4o-mini").await;
    let id = v["id"].as_str().unwrap();
    poll_until(gw, id, |s| s == "in_progress").await;
    // Wait until the mock holds the call.
    for _ in 0..100 {
        if mock_stats(mock).await["requests_total"].as_u64().unwrap() >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Another team sees nothing and cancels nothing.
    cancel(gw, id, BETA).await.assert_error(404, "not_found");
    request(
        "GET",
        &gw.url(&format!("/v1/responses/{id}")),
        &[BETA],
        Bytes::new(),
    )
    .await
    .assert_error(404, "not_found");
    let r = cancel(gw, id, ALPHA).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "cancelled");
    assert_eq!(r.json()["id"], v["id"]);
    let mut dropped = 0;
    for _ in 0..200 {
        dropped = mock_stats(mock).await["cancelled_requests"].as_u64().unwrap();
        if dropped >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(dropped, 1, "the upstream call was not dropped");
    assert_eq!(
        get(&gw.url(&format!("/v1/responses/{id}"))).await.json()["status"],
        "cancelled"
    );
    // Cancelling a finished response returns it unchanged.
    set_mock_ttft(mock, 0).await;
    let done = submit_background(gw, "gpt-4o-mini").await;
    let done_id = done["id"].as_str().unwrap();
    poll_until(gw, done_id, |s| s == "completed").await;
    assert_eq!(cancel(gw, done_id, ALPHA).await.json()["status"], "completed");
    assert_eq!(cancel(gw, "resp_unknown", ALPHA).await.status, 404);
    // Counted once each: cancelling a finished or already cancelled job counts nothing.
    cancel(gw, id, ALPHA).await;
    let metrics = request("GET", &gw.url("/metrics"), &[], Bytes::new())
        .await
        .text();
    for line in [
        "gearbox_background_jobs_finished_total{status=\"cancelled\",team=\"alpha\"} 1",
        "gearbox_background_jobs_finished_total{status=\"completed\",team=\"alpha\"} 1",
    ] {
        assert!(metrics.contains(line), "no {line} in {metrics}");
    }
}

#[tokio::test]
async fn a_full_background_queue_answers_429_with_retry_after() {
    let st = setup_with("\n[responses]\nbackground_max_queued = 1\nbackground_max_running = 1\n").await;
    let (mock, gw) = (&st.chat, &st.gw);
    set_mock_ttft(mock, 1500).await;
    let a = submit_background(gw, "gpt-4o-mini").await;
    let a_id = a["id"].as_str().unwrap();
    poll_until(gw, a_id, |s| s == "in_progress").await;
    let b = submit_background(gw, "gpt-4o-mini").await;
    let b_id = b["id"].as_str().unwrap();
    // One running: the second waits in the queue.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        get(&gw.url(&format!("/v1/responses/{b_id}"))).await.json()["status"],
        "queued"
    );
    let body = json!({"model": "gpt-4o-mini", "input": "x", "background": true});
    let r = post_json(&gw.url("/v1/responses"), &body).await;
    r.assert_error(429, "rate_limit_exceeded");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Another team's queue is its own.
    let r = request(
        "POST",
        &gw.url("/v1/responses"),
        &[BETA, ("content-type", "application/json")],
        body.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let metrics = request("GET", &gw.url("/metrics"), &[], Bytes::new())
        .await
        .text();
    assert!(
        metrics.contains("gearbox_background_jobs{state=\"queued\",team=\"alpha\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gearbox_background_rejected_total{team=\"alpha\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gearbox_background_limit{kind=\"queued\"} 1"),
        "{metrics}"
    );
    // Cancelling the queued job frees the queue.
    assert_eq!(cancel(gw, b_id, ALPHA).await.json()["status"], "cancelled");
    assert_eq!(post_json(&gw.url("/v1/responses"), &body).await.status, 200);
    cancel(gw, a_id, ALPHA).await;
}

#[tokio::test]
async fn a_background_job_survives_its_client_disconnecting() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let st = setup().await;
    let (mock, gw) = (&st.chat, &st.gw);
    set_mock_ttft(mock, 500).await;
    let body = json!({"model": "gpt-4o-mini", "input": "long job", "background": true}).to_string();
    let mut conn = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: gw\r\nauthorization: Bearer alpha-key\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // Read until the id is in, then hang up while the job is running.
    let mut got = Vec::new();
    let id = loop {
        let mut buf = [0u8; 4096];
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some(start) = text.find("\"id\":\"resp_") {
            let rest = &text[start + 6..];
            if let Some(end) = rest.find('"') {
                break rest[..end].to_string();
            }
        }
    };
    drop(conn);
    let (_, done) = poll_until(gw, &id, |s| s == "completed" || s == "failed").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(mock_stats(mock).await["cancelled_requests"], 0);
}

// ---- Streamed background responses (`background` and `stream`) and their resumption ----

fn seqs(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["sequence_number"].as_u64().unwrap())
        .collect()
}

async fn set_speed(mock: &Running, tokens_per_sec: f64) {
    let r = request(
        "PUT",
        &mock.url("/mock/latency"),
        &[("content-type", "application/json")],
        json!({"tokens_per_sec": tokens_per_sec}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn a_background_stream_survives_a_disconnect_and_resumes_after_a_sequence_number() {
    use http_body_util::BodyExt;
    let st = setup().await;
    let gw = &st.gw;
    for (model, _) in DIALECTS {
        // Uninterrupted: the whole event sequence, under the job's id.
        let body = json!({"model": model, "input": "Summarise the history of Rome.", "background": true,
            "stream": true});
        let r = post_json(&gw.url("/v1/responses"), &body).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        let all = events_of(&r.text());
        assert_eq!(seqs(&all), (0..all.len() as u64).collect::<Vec<_>>(), "{model}");
        assert_eq!(all[0]["type"], "response.created", "{model}");
        let last = all.last().unwrap();
        assert_eq!(last["type"], "response.completed", "{model}: {last}");
        let id = last["response"]["id"].as_str().unwrap().to_string();
        assert_eq!(all[0]["response"]["id"], id.as_str());
        assert_eq!(last["response"]["background"], true);
        let (_, done) = poll_until(gw, &id, |s| s == "completed" || s == "failed").await;
        assert_eq!(done["status"], "completed", "{model}: {done}");
        assert_eq!(done["output"], last["response"]["output"]);

        // A client that goes away mid-stream: the job goes on, and a resume gets exactly the rest.
        set_speed(st.mock(model), 40.0).await;
        let resp = send(
            "POST",
            &gw.url("/v1/responses"),
            &[ALPHA, ("content-type", "application/json")],
            body.to_string(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        let mut incoming = resp.into_body();
        let mut text = String::new();
        let mut seen: Vec<Value> = Vec::new();
        while seen.len() < 6 {
            let f = tokio::time::timeout(std::time::Duration::from_secs(10), incoming.frame())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Ok(d) = f.into_data() {
                text.push_str(std::str::from_utf8(&d).unwrap());
            }
            // Whole events only.
            let cut = text.rfind("\n\n").map_or(0, |i| i + 2);
            seen = events_of(&text[..cut]);
        }
        drop(incoming);
        assert!(
            seen.iter().all(|e| e["type"] != "response.completed"),
            "{model}: the test needs a slower stream"
        );
        let n = seen.last().unwrap()["sequence_number"].as_u64().unwrap();
        let id = seen[0]["response"]["id"].as_str().unwrap().to_string();
        let url = |q: &str| gw.url(&format!("/v1/responses/{id}?{q}"));
        let rest = get(&url(&format!("stream=true&starting_after={n}"))).await;
        assert_eq!(rest.status, 200, "{model}: {}", rest.text());
        let rest = events_of(&rest.text());
        assert_eq!(
            seqs(&rest),
            (n + 1..n + 1 + rest.len() as u64).collect::<Vec<_>>()
        );
        assert_eq!(rest.last().unwrap()["type"], "response.completed", "{model}");
        set_speed(st.mock(model), 0.0).await;
        let (_, done) = poll_until(gw, &id, |s| s == "completed" || s == "failed").await;
        assert_eq!(done["status"], "completed", "{model}: {done}");

        // After the end: the whole sequence again, the part seen before the disconnect included.
        let replay = get(&url("stream=true")).await;
        assert_eq!(replay.status, 200);
        let replay = events_of(&replay.text());
        assert_eq!(seqs(&replay), (0..replay.len() as u64).collect::<Vec<_>>());
        assert_eq!(replay[..seen.len()], seen[..], "{model}");
        assert_eq!(replay[seen.len()..], rest[..], "{model}");

        // Team-scoped, and what cannot be streamed again says which field.
        let foreign = request("GET", &url("stream=true"), &[BETA], Bytes::new()).await;
        foreign.assert_error(404, "not_found");
        let bad = get(&url("stream=true&starting_after=x")).await;
        assert_eq!(
            bad.assert_error(400, "invalid_request")["param"],
            "starting_after"
        );
        let plain = post_json(&gw.url("/v1/responses"), &json!({"model": model, "input": "hi"})).await;
        let pid = plain.json()["id"].as_str().unwrap().to_string();
        let r = get(&gw.url(&format!("/v1/responses/{pid}?stream=true"))).await;
        assert_eq!(r.assert_error(400, "invalid_request")["param"], "stream");
        // Without `stream` the response is read as usual.
        assert_eq!(get(&url("starting_after=3")).await.json()["status"], "completed");

        // Cancelled mid-stream: its followers' streams end, without a terminal event.
        set_speed(st.mock(model), 10.0).await;
        let resp = send(
            "POST",
            &gw.url("/v1/responses"),
            &[ALPHA, ("content-type", "application/json")],
            body.to_string(),
        )
        .await;
        let mut incoming = resp.into_body();
        let mut text = String::new();
        while !text.contains("\n\n") {
            let f = incoming.frame().await.unwrap().unwrap();
            if let Ok(d) = f.into_data() {
                text.push_str(std::str::from_utf8(&d).unwrap());
            }
        }
        let cid = events_of(&text)[0]["response"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(cancel(gw, &cid, ALPHA).await.json()["status"], "cancelled");
        let rest = tokio::time::timeout(std::time::Duration::from_secs(5), incoming.collect())
            .await
            .expect("the stream of a cancelled job ends")
            .unwrap()
            .to_bytes();
        let events = events_of(&format!("{text}{}", std::str::from_utf8(&rest).unwrap()));
        assert!(
            events.iter().all(|e| e["type"] != "response.completed"),
            "{model}"
        );
        let again = get(&gw.url(&format!("/v1/responses/{cid}?stream=true"))).await;
        assert_eq!(again.status, 200);
        assert_eq!(events_of(&again.text()), events, "{model}");
        set_speed(st.mock(model), 0.0).await;
    }
}
