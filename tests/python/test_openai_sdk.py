"""The official `openai` Python SDK pointed at gearbox gets what it gets from the mock directly."""
import json
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import KEY

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name three rivers in Europe"},
]


def clients(stack):
    return (
        OpenAI(base_url=stack.gateway_url, api_key=KEY, max_retries=0),
        OpenAI(base_url=stack.mock_url, api_key="unused", max_retries=0),
    )


def mock_stats(stack):
    with urllib.request.urlopen(f"{stack.mock_root}/mock/stats") as r:
        return json.load(r)


def test_non_streaming_matches_direct(stack):
    gw, direct = clients(stack)
    a = gw.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)
    b = direct.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert a.choices[0].message.content
    assert a.model == "gpt-4o-mini"
    assert a.usage.total_tokens == b.usage.total_tokens > 0


def test_streaming_matches_direct_and_is_incremental(stack):
    gw, direct = clients(stack)
    kwargs = dict(model="o3-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True})
    stream = gw.chat.completions.create(**kwargs)
    parts, usage, saw_active = [], None, None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            if saw_active is None:
                # First visible token: the mock must still be producing this stream.
                saw_active = mock_stats(stack)["active_streams"]
            parts.append(chunk.choices[0].delta.content)
        if chunk.usage:
            usage = chunk.usage
    assert saw_active == 1, "the first chunk must reach the client before the mock finishes"
    expected = "".join(
        c.choices[0].delta.content or ""
        for c in direct.chat.completions.create(**kwargs)
        if c.choices
    )
    assert "".join(parts) == expected
    assert usage is not None and usage.completion_tokens_details.reasoning_tokens > 0


def test_errors_surface_as_sdk_exceptions(stack):
    gw, _ = clients(stack)
    with pytest.raises(openai.NotFoundError) as e:
        gw.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert e.value.body["code"] == "model_not_found"
    bad = OpenAI(base_url=stack.gateway_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as e:
        gw.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "wizard", "content": "x"}])
    assert e.value.body["param"] == "messages[0].role"


def test_models_list(stack):
    gw, _ = clients(stack)
    ids = sorted(m.id for m in gw.models.list())
    assert ids == ["gpt-4o-mini", "o3-mini", "r-mini"]


def test_http2_prior_knowledge_client(stack):
    """The SDK over an HTTP/2-only httpx client (h2c, prior knowledge): answered over HTTP/2,
    plain and streamed, the same as the mock answers directly."""
    import httpx

    with httpx.Client(http1=False, http2=True, timeout=30) as h:
        gw = OpenAI(base_url=stack.gateway_url, api_key=KEY, max_retries=0, http_client=h)
        raw = gw.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=MESSAGES, temperature=0
        )
        assert raw.http_response.http_version == "HTTP/2"
        a = raw.parse()
        _, direct = clients(stack)
        b = direct.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)
        assert a.choices[0].message.content == b.choices[0].message.content
        parts = [
            c.choices[0].delta.content or ""
            for c in gw.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
            if c.choices
        ]
        assert "".join(parts) == b.choices[0].message.content
