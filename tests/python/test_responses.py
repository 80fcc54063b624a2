"""The official `openai` SDK's Responses API through gearbox, for both upstream dialects:
`gpt-4o-mini` (a chat upstream: translated both ways) and `r-mini` (a Responses upstream:
relayed)."""
import json

import pytest
from openai import OpenAI
from pydantic import BaseModel

from conftest import KEY

DIALECTS = ["gpt-4o-mini", "r-mini"]


def gateway(stack):
    return OpenAI(base_url=stack.gateway_url, api_key=KEY, max_retries=0)


@pytest.mark.parametrize("model", DIALECTS)
def test_responses_create_plain(stack, model):
    gw = gateway(stack)
    r = gw.responses.create(model=model, input="Name three rivers in Europe", instructions="Be terse.")
    assert r.id.startswith("resp_")
    assert r.status == "completed"
    assert r.output_text
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens > 0
    again = gw.responses.retrieve(r.id)
    assert again.output_text == r.output_text


@pytest.mark.parametrize("model", DIALECTS)
def test_responses_create_streamed(stack, model):
    gw = gateway(stack)
    types, deltas, final = [], [], None
    for event in gw.responses.create(model=model, input="Name three rivers in Europe", stream=True):
        types.append(event.type)
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
        if event.type == "response.completed":
            final = event.response
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert final is not None and final.output_text == "".join(deltas) != ""
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", DIALECTS)
def test_function_tool_round_trip(stack, model):
    gw = gateway(stack)
    tools = [{
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }]
    first = gw.responses.create(model=model, input="Weather in Paris?", tools=tools)
    call = next(o for o in first.output if o.type == "function_call")
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)
    second = gw.responses.create(
        model=model,
        previous_response_id=first.id,
        tools=tools,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 21}'}],
    )
    assert second.output_text


class Person(BaseModel):
    name: str
    age: int


def test_responses_parse_with_pydantic(stack):
    gw = gateway(stack)
    r = gw.responses.parse(model="gpt-4o-mini", input="Invent a person", text_format=Person)
    assert isinstance(r.output_parsed, Person)
