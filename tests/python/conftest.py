"""Fixtures: start the real `gearbox mock` and `gearbox serve` binaries on port 0."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TEST_GEARBOX_BIN", os.path.join(ROOT, "target", "debug", "gearbox"))
KEY = "sdk-test-key"


def _start(args, env=None):
    proc = subprocess.Popen(
        [BIN, *args],
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = proc.stdout.readline().strip()
    prefix = "listening on http://"
    if prefix not in line:
        proc.kill()
        raise RuntimeError(f"unexpected first line from {args[0]}: {line!r}")
    return proc, line.split(prefix, 1)[1]


class Stack:
    """The gateway in front of two mocks: `mock_*` is a Chat-Completions-only server (upstream
    `mock`, `api = "chat"`: the gateway translates Responses requests) and `resp_mock_*` speaks
    the Responses API (upstream `mockr`, `api = "responses"`: relayed)."""

    def __init__(self, mock_addr, resp_mock_addr, gw_addr):
        self.mock_url = f"http://{mock_addr}/v1"
        self.gateway_url = f"http://{gw_addr}/v1"
        self.mock_root = f"http://{mock_addr}"
        self.resp_mock_url = f"http://{resp_mock_addr}/v1"
        self.resp_mock_root = f"http://{resp_mock_addr}"


NODE_DIR = os.path.join(ROOT, "tests", "node")


def run_node(case, model, base_url, key=KEY, env=None):
    """tests/node/clients.mjs (the Vercel AI SDK) running CASE: its exit code and the JSON line
    it printed."""
    node = shutil.which("node")
    assert node, "node is not installed (.ci/run installs nodejs)"
    assert os.path.isdir(os.path.join(NODE_DIR, "node_modules", "ai")), (
        "tests/node has no node_modules: run `npm ci --prefix tests/node` (scripts/test does)"
    )
    proc = subprocess.run(
        [node, "clients.mjs", case, model],
        cwd=NODE_DIR,
        env={**os.environ, "GEARBOX_BASE_URL": base_url, "GEARBOX_KEY": key, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no output from node (exit {proc.returncode}): {proc.stderr}"
    return proc.returncode, json.loads(lines[-1])


def upstream_requests(mock_root):
    """The requests a `gearbox mock` received lately (its `/mock/stats`), oldest first."""
    with urllib.request.urlopen(f"{mock_root}/mock/stats", timeout=10) as r:
        return json.load(r)["last_requests"]


class Dialect:
    """One upstream dialect of the stack: the public model served by it and its mock."""

    def __init__(self, name, model, mock_root):
        self.name = name
        self.model = model
        self.mock_root = mock_root
        self.mock_url = f"{mock_root}/v1"

    def __repr__(self):
        return self.name


@pytest.fixture(params=["chat", "responses"])
def dialect(request, stack):
    """Each Responses test runs against both upstream dialects: `gpt-4o-mini` on the
    Chat-Completions-only mock and `r-mini` on the Responses-speaking one."""
    if request.param == "chat":
        return Dialect("chat", "gpt-4o-mini", stack.mock_root)
    return Dialect("responses", "r-mini", stack.resp_mock_root)


def gateway_config(mock_addr, resp_mock_addr):
    """A gateway config on port 0 with key auth (team `sdk`, key KEY): `gpt-4o-mini` and `o3-mini`
    (reasoning) on upstream `mock` (chat, `mock_addr`), `r-mini` on upstream `mockr`, which speaks
    the Responses API (relayed, not translated) at `resp_mock_addr`. Tests append their sections."""
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    return f"""
[server]
listen = "127.0.0.1:0"
[auth]
mode = "keys"
[upstreams.mock]
base_url = "http://{mock_addr}/v1"
[models."gpt-4o-mini"]
upstream = "mock"
[models."o3-mini"]
upstream = "mock"
kind = "reasoning"
[upstreams.mockr]
base_url = "http://{resp_mock_addr}/v1"
api = "responses"
[models."r-mini"]
upstream = "mockr"
name = "gpt-4o-mini"
[[teams.sdk.keys]]
sha256 = "{digest}"
"""


def _stop(procs):
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture(scope="session")
def stack():
    # Slow mocks (20 tokens/s) so streaming order can be observed. The first acts as a server
    # that predates the Responses API (`--chat-only`: /v1/responses is a 404).
    mock, mock_addr = _start(["mock", "--listen", "127.0.0.1:0", "--tokens-per-sec", "20", "--chat-only"])
    resp_mock, resp_mock_addr = _start(["mock", "--listen", "127.0.0.1:0", "--tokens-per-sec", "20"])
    cfg = gateway_config(mock_addr, resp_mock_addr) + """
# Files, batches, moderations and the rest of the surface go to the plain mock.
[passthrough]
upstream = "mock"
"""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(cfg)
        path = f.name
    try:
        gw, gw_addr = _start(["serve", "--config", path])
    except BaseException:
        _stop([mock, resp_mock])
        raise
    try:
        yield Stack(mock_addr, resp_mock_addr, gw_addr)
    finally:
        _stop([gw, mock, resp_mock])
        os.unlink(path)
