"""Traces of streams relayed to the official `openai` SDK and, from Node, to the Vercel AI SDK
(tests/node/clients.mjs; issue 23), end to end: the real
`gearbox serve` binary with `[tracing]` on, exporting over OTLP/HTTP to a receiver that decodes
the export requests with the official OTLP protobuf definitions (`opentelemetry-proto`), and a
`gearbox mock` upstream that records the `traceparent` each request carried.

Two gateways share the receiver and the mock: `sampled` (ratio 1.0) and `ratio0` (ratio 0.0);
both follow the client's sampled flag (`parent_based`, the default)."""
import os
import secrets
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openai import OpenAI
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from conftest import KEY, _start, _stop, gateway_config, run_node, upstream_requests

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name three rivers in Europe"},
]
STAGES = ["gearbox.auth", "gearbox.classify", "gearbox.admission", "gearbox.cache", "chat gpt-4o-mini", "gearbox.stream"]


class Receiver:
    """An OTLP/HTTP trace receiver on loopback: `POST /v1/traces`, protobuf bodies."""

    def __init__(self):
        self.spans = []  # (service.name, Span)
        self.bad = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                ok = self.path == "/v1/traces" and self.headers.get("content-type") == "application/x-protobuf"
                try:
                    export = ExportTraceServiceRequest.FromString(body)
                except Exception:  # noqa: BLE001 — any undecodable body is a bad export
                    ok = False
                with receiver.lock:
                    if not ok:
                        receiver.bad.append(self.path)
                    else:
                        for rs in export.resource_spans:
                            service = next(
                                (a.value.string_value for a in rs.resource.attributes if a.key == "service.name"), ""
                            )
                            for ss in rs.scope_spans:
                                receiver.spans.extend((service, s) for s in ss.spans)
                self.send_response(200 if ok else 400)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_trace(self, tid):
        with self.lock:
            return [s for _, s in self.spans if s.trace_id.hex() == tid]

    def wait(self, tid, done, timeout=15):
        """The spans of trace `tid` once `done(spans)` holds."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.of_trace(tid)
            if done(spans):
                return spans
            assert time.monotonic() < deadline, f"trace {tid} incomplete: {[s.name for s in spans]}"
            time.sleep(0.05)


class Traced:
    def __init__(self, receiver, mock_addr, gateways):
        self.receiver = receiver
        self.mock_root = f"http://{mock_addr}"
        self.mock_url = f"http://{mock_addr}/v1"
        self.gateways = gateways  # name -> base URL


@pytest.fixture(scope="module")
def traced():
    receiver = Receiver()
    mock, mock_addr = _start(["mock", "--listen", "127.0.0.1:0", "--tokens-per-sec", "200"])
    procs, paths, gateways = [mock], [], {}
    try:
        for name, ratio in [("sampled", "1.0"), ("ratio0", "0.0")]:
            # The same mock behind `mockr`, speaking the Responses API: `r-mini` is relayed.
            cfg = gateway_config(mock_addr, mock_addr) + f"""
[policy]
routed_models = ["auto"]
[tracing]
enabled = true
endpoint = "{receiver.url}"
service_name = "gearbox-{name}"
sample_ratio = {ratio}
export_interval = "100ms"
"""
            with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
                f.write(cfg)
                paths.append(f.name)
            gw, gw_addr = _start(["serve", "--config", f.name])
            procs.append(gw)
            gateways[name] = f"http://{gw_addr}/v1"
        yield Traced(receiver, mock_addr, gateways)
    finally:
        _stop(procs)
        receiver.server.shutdown()
        for p in paths:
            os.unlink(p)


def client_parent(flags):
    """A fresh client `traceparent` with `flags`: (header, trace id, span id)."""
    tid, sid = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{tid}-{sid}-{flags}", tid, sid


def stream_through_sdk(base_url, model, traceparent):
    """Chat completions streamed through the official SDK with the client's `traceparent`:
    the response headers and every chunk as the SDK parsed it."""
    gw = OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    raw = gw.chat.completions.with_raw_response.create(
        model=model,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"traceparent": traceparent, "x-gearbox-trace": "1"},
    )
    return raw.headers, list(raw.parse())


def direct_chunks(traced):
    """The same stream straight from the mock: what the client must get through the gateway."""
    direct = OpenAI(base_url=traced.mock_url, api_key="unused", max_retries=0)
    return list(
        direct.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )


def assert_intact(chunks, expected):
    """All chunks arrived, in order, with the same content, finish reason and usage."""
    assert len(chunks) == len(expected) > 2

    def view(c):
        choice = c.choices[0] if c.choices else None
        return (
            choice.delta.content if choice else None,
            choice.finish_reason if choice else None,
            c.usage.model_dump() if c.usage else None,
        )

    assert [view(c) for c in chunks] == [view(c) for c in expected]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert all(c.model == "gpt-4o-mini" for c in chunks)


def sent_upstream(traced, tid):
    """The `traceparent` of each request the mock received in trace `tid`."""
    return [r["traceparent"] for r in upstream_requests(traced.mock_root) if tid in (r.get("traceparent") or "")]


def attr(span, key):
    for a in span.attributes:
        if a.key == key:
            v = a.value
            return getattr(v, v.WhichOneof("value"))
    return None


def one(spans, name):
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, f"one {name} span expected: {[s.name for s in spans]}"
    return found[0]


def test_a_sampled_client_parent_streams_intact_as_one_trace(traced):
    expected = direct_chunks(traced)
    tp, tid, sid = client_parent("01")
    headers, chunks = stream_through_sdk(traced.gateways["sampled"], "auto", tp)
    assert headers.get("x-gearbox-route") == "chat"
    assert_intact(chunks, expected)

    spans = traced.receiver.wait(
        tid, lambda s: any(x.kind == Span.SPAN_KIND_SERVER for x in s) and any(x.name == "gearbox.stream" for x in s)
    )
    assert all(s.trace_id.hex() == tid for s in spans)
    servers = [s for s in spans if s.kind == Span.SPAN_KIND_SERVER]
    assert len(servers) == 1
    srv = servers[0]
    assert srv.parent_span_id.hex() == sid, "the server span is the client's span's child"
    assert srv.name == "POST /v1/chat/completions"
    for stage in STAGES:
        assert one(spans, stage).parent_span_id == srv.span_id, f"{stage} is not under the server span"
    assert sorted(s.name for s in spans) == sorted(STAGES + [srv.name])
    usage = chunks[-1].usage
    stream = one(spans, "gearbox.stream")
    # Every event the upstream sent was relayed: the SDK's chunks and `[DONE]`.
    assert attr(stream, "gearbox.stream.events") == len(chunks) + 1
    assert attr(stream, "gearbox.stream.outcome") == "completed"
    assert attr(stream, "gearbox.stream.time_to_first_event_ms") > 0
    assert attr(stream, "gen_ai.usage.output_tokens") == usage.completion_tokens
    assert attr(stream, "gen_ai.usage.input_tokens") == usage.prompt_tokens
    assert attr(srv, "gen_ai.usage.output_tokens") == usage.completion_tokens
    assert attr(srv, "gen_ai.request.model") == "auto"
    assert attr(srv, "gen_ai.response.model") == "gpt-4o-mini"
    assert attr(srv, "http.response.status_code") == 200
    attempt = one(spans, "chat gpt-4o-mini")
    assert attempt.kind == Span.SPAN_KIND_CLIENT
    # The upstream joined the trace under the attempt span, sampled.
    assert sent_upstream(traced, tid) == [f"00-{tid}-{attempt.span_id.hex()}-01"]
    # The response header names the server span of the client's trace.
    assert headers.get("traceparent") == f"00-{tid}-{srv.span_id.hex()}-01"


@pytest.mark.parametrize("gateway", ["sampled", "ratio0"])
def test_an_unsampled_client_parent_streams_intact_and_exports_nothing(traced, gateway):
    expected = direct_chunks(traced)
    tp, tid, sid = client_parent("00")
    headers, chunks = stream_through_sdk(traced.gateways[gateway], "gpt-4o-mini", tp)
    assert_intact(chunks, expected)
    # The upstream is sent the client's trace, unsampled, under the gateway's own span.
    (sent,) = sent_upstream(traced, tid)
    assert sent.startswith(f"00-{tid}-") and sent.endswith("-00") and sid not in sent, sent
    # So is the client: the header names the same (unexported) server span.
    assert headers.get("traceparent") == sent
    # Spans end in order and are exported in order: once a sampled request sent afterwards has
    # arrived at the receiver, a span of the unsampled one would have too.
    later, later_tid, _ = client_parent("01")
    stream_through_sdk(traced.gateways[gateway], "gpt-4o-mini", later)
    traced.receiver.wait(later_tid, lambda s: any(x.name == "gearbox.stream" for x in s))
    leaked = [s.name for s in traced.receiver.of_trace(tid)]
    assert leaked == [], f"unsampled trace exported: {leaked}"


def test_ratio_zero_without_a_client_parent_streams_intact_and_exports_nothing(traced):
    """Sampling ratio 0 and no `traceparent`: a new, unsampled trace the upstream still joins."""
    expected = direct_chunks(traced)
    gw = OpenAI(base_url=traced.gateways["ratio0"], api_key=KEY, max_retries=0)
    raw = gw.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-gearbox-trace": "1"},
    )
    chunks = list(raw.parse())
    assert_intact(chunks, expected)
    tp = raw.headers.get("traceparent")
    assert tp and tp.endswith("-00"), tp
    tid = tp.split("-")[1]
    assert sent_upstream(traced, tid) == [tp]
    later, later_tid, _ = client_parent("01")
    stream_through_sdk(traced.gateways["ratio0"], "gpt-4o-mini", later)
    traced.receiver.wait(later_tid, lambda s: any(x.name == "gearbox.stream" for x in s))
    assert traced.receiver.of_trace(tid) == []
    assert traced.receiver.bad == []


@pytest.mark.parametrize("model", ["gpt-4o-mini", "r-mini"])
def test_a_sampled_responses_stream_is_one_trace_with_its_usage(traced, model):
    """`responses.create(stream=True)`: translated from a chat upstream (`gpt-4o-mini`) or
    relayed from a Responses one (`r-mini`), the stream span has the usage the SDK got."""
    tp, tid, sid = client_parent("01")
    gw = OpenAI(base_url=traced.gateways["sampled"], api_key=KEY, max_retries=0)
    events = list(
        gw.responses.create(
            model=model, input="Name three rivers in Europe", stream=True, extra_headers={"traceparent": tp}
        )
    )
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    final = events[-1].response
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert final.output_text == deltas != ""
    spans = traced.receiver.wait(
        tid, lambda s: any(x.kind == Span.SPAN_KIND_SERVER for x in s) and any(x.name == "gearbox.stream" for x in s)
    )
    srv = one(spans, "POST /v1/responses")
    assert srv.parent_span_id.hex() == sid
    for stage in ["gearbox.auth", "gearbox.admission", "chat gpt-4o-mini", "gearbox.stream"]:
        assert one(spans, stage).parent_span_id == srv.span_id, stage
    stream = one(spans, "gearbox.stream")
    assert attr(stream, "gearbox.stream.outcome") == "completed"
    # The Responses events the SDK received, also when translated from chat chunks.
    assert attr(stream, "gearbox.stream.events") == len(events)
    assert attr(stream, "gen_ai.usage.input_tokens") == final.usage.input_tokens
    assert attr(stream, "gen_ai.usage.output_tokens") == final.usage.output_tokens
    assert attr(srv, "gen_ai.usage.output_tokens") == final.usage.output_tokens
    attempt = one(spans, "chat gpt-4o-mini")
    assert sent_upstream(traced, tid) == [f"00-{tid}-{attempt.span_id.hex()}-01"]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "r-mini"])
def test_a_node_client_stream_with_a_traceparent_is_one_trace_under_its_span(traced, model):
    """The Vercel AI SDK (`streamText`, the Responses API) sends the app's W3C `traceparent`
    with a streamed request: the gateway's spans form one trace under the client's span, the
    upstream receives the client's trace id (under the attempt span), and the response header
    names the server span. Translated from a chat upstream (`gpt-4o-mini`) and relayed from a
    Responses one (`r-mini`)."""
    tp, tid, sid = client_parent("01")
    rc, out = run_node("stream-traced", model, traced.gateways["sampled"], env={"GEARBOX_TRACEPARENT": tp})
    assert rc == 0 and "error" not in out, out
    assert len(out["deltas"]) > 1 and "".join(out["deltas"]) == out["text"] != ""
    assert out["finishReason"] == "stop" and out["responseId"].startswith("resp_")

    spans = traced.receiver.wait(
        tid, lambda s: any(x.kind == Span.SPAN_KIND_SERVER for x in s) and any(x.name == "gearbox.stream" for x in s)
    )
    assert all(s.trace_id.hex() == tid for s in spans)
    srv = one(spans, "POST /v1/responses")
    assert srv.kind == Span.SPAN_KIND_SERVER
    assert srv.parent_span_id.hex() == sid, "the server span is the Node client's span's child"
    for stage in ["gearbox.auth", "gearbox.admission", "chat gpt-4o-mini", "gearbox.stream"]:
        assert one(spans, stage).parent_span_id == srv.span_id, f"{stage} is not under the server span"
    stream = one(spans, "gearbox.stream")
    assert attr(stream, "gearbox.stream.outcome") == "completed"
    assert attr(stream, "gen_ai.usage.output_tokens") == out["usage"]["outputTokens"] > 0
    attempt = one(spans, "chat gpt-4o-mini")
    # The upstream joined the client's trace, under the attempt span, sampled.
    assert sent_upstream(traced, tid) == [f"00-{tid}-{attempt.span_id.hex()}-01"]
    # The SDK got the gateway's traceparent (asked for with x-gearbox-trace): the server span.
    assert out["traceparent"] == f"00-{tid}-{srv.span_id.hex()}-01"
