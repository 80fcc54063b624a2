"""The openai-agents SDK with its default model (the Responses API) through gearbox, against
both upstream dialects: only the client's base URL changes. Tracing is disabled, so nothing
leaves the machine."""
import asyncio
import json

import pytest
from agents import (
    Agent,
    Runner,
    function_tool,
    set_default_openai_api,
    set_default_openai_client,
    set_tracing_disabled,
)
from openai import AsyncOpenAI, NotFoundError

from conftest import KEY, upstream_requests

CALLS = []


@function_tool
def get_weather(city: str) -> str:
    """The current weather for a city."""
    CALLS.append(city)
    return json.dumps({"city": city, "temp_c": 21, "sky": "clear"})


def _use(base_url, api_key=KEY):
    set_tracing_disabled(True)
    # The SDK's default already; set so a changed default cannot make this test pass on chat.
    set_default_openai_api("responses")
    set_default_openai_client(AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0), use_for_tracing=False)


def test_agent_answers(stack, dialect):
    _use(stack.gateway_url)
    agent = Agent(name="Assistant", instructions="Answer in one sentence.", model=dialect.model)
    result = asyncio.run(Runner.run(agent, "Name a river in Europe"))
    assert isinstance(result.final_output, str) and result.final_output
    assert result.raw_responses and result.raw_responses[-1].response_id.startswith("resp_")
    # The SDK called the Responses API; the gateway translated it for the chat-only mock.
    path = upstream_requests(dialect.mock_root)[-1]["path"]
    assert path == ("/v1/chat/completions" if dialect.name == "chat" else "/v1/responses")


def test_agent_streamed(stack, dialect):
    _use(stack.gateway_url)
    agent = Agent(name="Assistant", model=dialect.model)

    async def run():
        result = Runner.run_streamed(agent, "Name three rivers in Europe")
        deltas = []
        async for event in result.stream_events():
            if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                deltas.append(event.data.delta)
        return result, deltas

    result, deltas = asyncio.run(run())
    assert len(deltas) > 3 and "".join(deltas) == result.final_output != ""


def test_agent_function_tool_round_trip(stack, dialect):
    _use(stack.gateway_url)
    CALLS.clear()
    agent = Agent(
        name="Weather",
        instructions="Use the tool to answer.",
        model=dialect.model,
        tools=[get_weather],
    )
    result = asyncio.run(Runner.run(agent, "What is the weather in Paris?"))
    # The mock called the tool, the SDK ran it and sent its output back, and the model answered.
    assert len(CALLS) == 1, CALLS
    kinds = [item.type for item in result.new_items]
    assert kinds == ["tool_call_item", "tool_call_output_item", "message_output_item"], kinds
    assert result.final_output
    # The second upstream request carried the call and its output.
    sent = json.dumps(upstream_requests(dialect.mock_root)[-1]["body"])
    assert "get_weather" in sent and "temp_c" in sent, sent


def test_agent_fails_on_a_server_without_responses(stack):
    # Pointed at the chat-only mock directly (what a gateway without /v1/responses is), the
    # same agent fails on its first call.
    _use(stack.mock_url, api_key="unused")
    agent = Agent(name="Assistant", model="gpt-4o-mini")
    with pytest.raises(NotFoundError):
        asyncio.run(Runner.run(agent, "hi"))
