"""LangChain's ChatOpenAI on the Responses API (`use_responses_api=True`) through gearbox,
against both upstream dialects: invoke, stream, and a tool call round trip."""
import json

import openai
import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from conftest import KEY, upstream_requests


@tool
def get_weather(city: str) -> str:
    """The current weather for a city."""
    return json.dumps({"city": city, "temp_c": 21})


def llm(base_url, model, api_key=KEY):
    return ChatOpenAI(model=model, base_url=base_url, api_key=api_key, use_responses_api=True, max_retries=0, timeout=30)


def _path(dialect):
    return "/v1/chat/completions" if dialect.name == "chat" else "/v1/responses"


def test_invoke(stack, dialect):
    msg = llm(stack.gateway_url, dialect.model).invoke("Name a river in Europe")
    assert msg.text and msg.response_metadata.get("id", "").startswith("resp_"), msg
    assert msg.usage_metadata["total_tokens"] > 0
    assert upstream_requests(dialect.mock_root)[-1]["path"] == _path(dialect)


def test_stream(stack, dialect):
    chunks = list(llm(stack.gateway_url, dialect.model).stream("Name three rivers in Europe"))
    text = "".join(c.text for c in chunks)
    assert len(chunks) > 3 and text
    # The stream's last chunks carry the usage of response.completed.
    assert sum((c.usage_metadata or {}).get("output_tokens", 0) for c in chunks) > 0
    assert upstream_requests(dialect.mock_root)[-1]["path"] == _path(dialect)


def test_tool_call_round_trip(stack, dialect):
    model = llm(stack.gateway_url, dialect.model).bind_tools([get_weather])
    question = HumanMessage("What is the weather in Paris?")
    first = model.invoke([question])
    assert len(first.tool_calls) == 1 and first.tool_calls[0]["name"] == "get_weather", first
    call = first.tool_calls[0]
    output = ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"])
    second = model.invoke([question, first, output])
    assert second.text and not second.tool_calls
    sent = json.dumps(upstream_requests(dialect.mock_root)[-1]["body"])
    assert "get_weather" in sent and "temp_c" in sent, sent


def test_fails_on_a_server_without_responses(stack):
    with pytest.raises(openai.NotFoundError):
        llm(stack.mock_url, "gpt-4o-mini", api_key="unused").invoke("hi")
