"""The Vercel AI SDK (`ai` + `@ai-sdk/openai`) from Node: its default `openai("...")` model
speaks the Responses API. tests/node/clients.mjs runs one case and prints what the SDK
returned; these tests run it against the gateway for both upstream dialects. scripts/test
installs the pinned packages with `npm ci --prefix tests/node` first."""
import json

from conftest import run_node, upstream_requests


def ok(case, model, stack):
    rc, out = run_node(case, model, stack.gateway_url)
    assert rc == 0 and "error" not in out, out
    return out


def upstream_path(dialect):
    return "/v1/chat/completions" if dialect.name == "chat" else "/v1/responses"


def test_generate_text(stack, dialect):
    out = ok("generate", dialect.model, stack)
    assert out["text"] and out["finishReason"] == "stop"
    assert out["responseId"].startswith("resp_")
    assert out["usage"]["totalTokens"] == out["usage"]["inputTokens"] + out["usage"]["outputTokens"] > 0
    assert upstream_requests(dialect.mock_root)[-1]["path"] == upstream_path(dialect)


def test_stream_text(stack, dialect):
    out = ok("stream", dialect.model, stack)
    assert len(out["deltas"]) > 3 and "".join(out["deltas"]) == out["text"] != ""
    assert out["finishReason"] == "stop" and out["usage"]["outputTokens"] > 0
    assert out["responseId"].startswith("resp_")
    assert upstream_requests(dialect.mock_root)[-1]["path"] == upstream_path(dialect)


def test_function_tool_round_trip(stack, dialect):
    out = ok("tools", dialect.model, stack)
    # Step one: the model called the tool (the SDK ran it); step two: it answered in text.
    assert len(out["calls"]) == 1, out
    assert [s["toolCalls"] for s in out["steps"]] == [["get_weather"], []], out
    assert [s["finishReason"] for s in out["steps"]] == ["tool-calls", "stop"], out
    assert out["text"]
    sent = json.dumps(upstream_requests(dialect.mock_root)[-1]["body"])
    assert "function_call_output" in sent or '"role": "tool"' in sent, sent
    assert "temp_c" in sent, sent


def test_streamed_function_tool_round_trip(stack, dialect):
    # The call's arguments arrive as response.function_call_arguments.delta events.
    out = ok("stream-tools", dialect.model, stack)
    assert len(out["calls"]) == 1, out
    assert {"tool-input-delta", "tool-call", "tool-result", "text-delta"} <= set(out["parts"]), out
    assert [s["finishReason"] for s in out["steps"]] == ["tool-calls", "stop"], out
    assert out["text"]


def test_conversation_second_turn_by_item_reference(stack, dialect):
    # The SDK sends the first answer back as an `item_reference` to its stored item.
    out = ok("conversation", dialect.model, stack)
    assert out["first"] and out["text"] and out["responseId"].startswith("resp_")
    sent = json.dumps(upstream_requests(dialect.mock_root)[-1]["body"])
    assert out["first"] in sent and "item_reference" not in sent, sent


def test_fails_on_a_server_without_responses(stack):
    # Against the chat-only mock directly (a server without /v1/responses) the same call fails.
    rc, out = run_node("generate", "gpt-4o-mini", stack.mock_url, key="unused")
    assert rc == 1 and out["status"] == 404, out

