"""The rest of the surface through gearbox with the official SDK: files, batches, moderations,
completions and audio speech reach the mock and come back unchanged."""
import hashlib
import json

from openai import OpenAI

from conftest import KEY


def clients(stack):
    return (
        OpenAI(base_url=stack.gateway_url, api_key=KEY, max_retries=0),
        OpenAI(base_url=stack.mock_url, api_key="unused", max_retries=0),
    )


def batch_lines(n):
    line = lambda i: json.dumps(
        {
            "custom_id": f"req-{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Question {i}"}]},
        }
    )
    return "".join(line(i) + "\n" for i in range(n)).encode()


def test_file_upload_and_batch_create(stack):
    gw, _ = clients(stack)
    data = batch_lines(5000)  # ~700 KB, streamed through the gateway
    f = gw.files.create(file=("requests.jsonl", data), purpose="batch")
    assert f.object == "file"
    assert f.purpose == "batch"
    assert f.bytes == len(data)
    assert f.model_extra["sha256"] == hashlib.sha256(data).hexdigest()
    assert gw.files.retrieve(f.id).id == f.id
    assert any(x.id == f.id for x in gw.files.list())
    assert gw.files.content(f.id).read() == data

    b = gw.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert b.object == "batch"
    assert b.input_file_id == f.id
    assert b.status == "validating"
    assert gw.batches.retrieve(b.id).id == b.id
    assert gw.batches.cancel(b.id).status == "cancelling"


def test_moderations_and_completions(stack):
    gw, direct = clients(stack)
    m = gw.moderations.create(input=["hello", "world"], model="omni-moderation-latest")
    assert len(m.results) == 2
    assert m.results[0].flagged is False
    c = gw.completions.create(model="gpt-4o-mini", prompt="Say hello")
    d = direct.completions.create(model="gpt-4o-mini", prompt="Say hello")
    assert c.choices[0].text == d.choices[0].text


def test_audio_speech_bytes(stack):
    gw, direct = clients(stack)
    text = "Gearbox passes audio through. " * 50
    a = gw.audio.speech.create(model="tts-1", voice="alloy", input=text).read()
    b = direct.audio.speech.create(model="tts-1", voice="alloy", input=text).read()
    assert len(a) > 10_000
    assert a == b
