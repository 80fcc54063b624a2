"""The official `openai` SDK's Responses API through gearbox, for both upstream dialects (the
`dialect` fixture): `gpt-4o-mini` (a Chat-Completions-only mock: translated both ways) and
`r-mini` (a Responses-speaking mock: relayed)."""
import json

import openai
import pytest
from openai import OpenAI
from pydantic import BaseModel

from conftest import KEY


def gateway(stack):
    return OpenAI(base_url=stack.gateway_url, api_key=KEY, max_retries=0)


def test_responses_create_plain(stack, dialect):
    gw, model = gateway(stack), dialect.model
    r = gw.responses.create(model=model, input="Name three rivers in Europe", instructions="Be terse.")
    assert r.id.startswith("resp_")
    assert r.status == "completed"
    assert r.output_text
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens > 0
    again = gw.responses.retrieve(r.id)
    assert again.output_text == r.output_text


def test_responses_create_streamed(stack, dialect):
    gw, model = gateway(stack), dialect.model
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


def test_streamed_continuation_names_its_previous_response(stack, dialect):
    """A streamed continuation, as the SDK parses it: its events' response objects, and the
    stored response read back, name the response it continues."""
    gw, model = gateway(stack), dialect.model
    first = gw.responses.create(model=model, input="Name a river in Europe")
    created = final = None
    for event in gw.responses.create(
        model=model, input="And one in Asia?", previous_response_id=first.id, stream=True
    ):
        if event.type == "response.created":
            created = event.response
        if event.type == "response.completed":
            final = event.response
    assert created is not None and created.previous_response_id == first.id
    assert final is not None and final.previous_response_id == first.id and final.output_text
    assert gw.responses.retrieve(final.id).previous_response_id == first.id


def test_function_tool_round_trip(stack, dialect):
    gw, model = gateway(stack), dialect.model
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


def test_responses_parse_with_pydantic(stack, dialect):
    gw = gateway(stack)
    r = gw.responses.parse(model=dialect.model, input="Invent a person", text_format=Person)
    assert isinstance(r.output_parsed, Person)


def _set_ttft(dialect, ms):
    import urllib.request

    req = urllib.request.Request(
        f"{dialect.mock_root}/mock/latency",
        data=json.dumps({"ttft_ms": ms}).encode(),
        method="PUT",
        headers={"content-type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=10).read()


def _poll(gw, rid, until, limit=30.0):
    import time

    seen, deadline = [], time.monotonic() + limit
    while time.monotonic() < deadline:
        r = gw.responses.retrieve(rid)
        if not seen or seen[-1] != r.status:
            seen.append(r.status)
        if r.status in until:
            return seen, r
        time.sleep(0.05)
    raise AssertionError(f"{rid} stayed {seen}")


def test_background_create_poll_and_cancel(stack, dialect):
    gw, model = gateway(stack), dialect.model
    _set_ttft(dialect, 1500)
    try:
        job = gw.responses.create(model=model, input="Write a long analysis of rivers", background=True)
        assert job.status == "queued" and job.id.startswith("resp_") and job.background
        seen, done = _poll(gw, job.id, {"completed", "failed", "cancelled"})
        assert "in_progress" in seen, seen
        assert done.status == "completed", done
        assert done.id == job.id and done.output_text
        # Cancel one while it runs; a finished one is returned unchanged.
        running = gw.responses.create(model=model, input="Another long analysis", background=True)
        _poll(gw, running.id, {"in_progress"})
        cancelled = gw.responses.cancel(running.id)
        assert cancelled.status == "cancelled" and cancelled.id == running.id
        assert gw.responses.retrieve(running.id).status == "cancelled"
        assert gw.responses.cancel(job.id).status == "completed"
    finally:
        _set_ttft(dialect, 0)


def test_background_stream_and_resume(stack, dialect):
    """`background=True, stream=True` iterated part way, then the rest read again with
    `responses.retrieve(id, stream=True, starting_after=N)`: exactly the events after N, to
    `response.completed`; and the whole sequence once it has ended."""
    gw, model = gateway(stack), dialect.model
    stream = gw.responses.create(model=model, input="Write a long analysis of rivers", background=True, stream=True)
    head = []
    for event in stream:
        head.append(event)
        if len(head) == 3:
            break
    stream.close()
    assert head[0].type == "response.created" and head[0].response.background
    assert [e.sequence_number for e in head] == [0, 1, 2]
    rid, n = head[0].response.id, head[-1].sequence_number
    rest = list(gw.responses.retrieve(rid, stream=True, starting_after=n))
    assert [e.sequence_number for e in rest] == list(range(n + 1, n + 1 + len(rest)))
    assert rest[-1].type == "response.completed" and rest[-1].response.id == rid
    text = "".join(e.delta for e in head + rest if e.type == "response.output_text.delta")
    assert text and rest[-1].response.output_text == text
    assert gw.responses.retrieve(rid).status == "completed"
    replay = list(gw.responses.retrieve(rid, stream=True))
    assert [e.sequence_number for e in replay] == list(range(len(replay)))
    assert replay[-1].type == "response.completed"


def test_reasoning_summary(stack, dialect):
    """A chat upstream has no reasoning summaries: a demanded one is a 400 naming the field;
    `auto` is answered without one. A Responses upstream gets the request as it came."""
    gw, model = gateway(stack), dialect.model
    if dialect.name == "chat":
        with pytest.raises(openai.BadRequestError) as e:
            gw.responses.create(model=model, input="Think it through", reasoning={"summary": "detailed"})
        assert e.value.body["param"] == "reasoning.summary", e.value.body
    else:
        r = gw.responses.create(model=model, input="Think it through", reasoning={"summary": "detailed"})
        assert r.status == "completed" and r.reasoning.summary == "detailed"
    r = gw.responses.create(model=model, input="Think it through", reasoning={"summary": "auto"})
    assert r.output_text and r.reasoning.summary == "auto"


def test_fails_on_a_server_without_responses(stack):
    # The chat-only mock directly: what every client met before the gateway spoke Responses.
    direct = OpenAI(base_url=stack.mock_url, api_key="unused", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        direct.responses.create(model="gpt-4o-mini", input="hi")
