"""Fixtures: start the real `gearbox mock` and `gearbox serve` binaries on port 0."""
import hashlib
import os
import subprocess
import tempfile

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
    def __init__(self, mock_addr, gw_addr):
        self.mock_url = f"http://{mock_addr}/v1"
        self.gateway_url = f"http://{gw_addr}/v1"
        self.mock_root = f"http://{mock_addr}"


@pytest.fixture(scope="session")
def stack():
    # A slow mock (20 tokens/s) so streaming order can be observed.
    mock, mock_addr = _start(["mock", "--listen", "127.0.0.1:0", "--tokens-per-sec", "20"])
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    cfg = f"""
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
# The same mock declared as speaking the Responses API (relayed, not translated).
[upstreams.mockr]
base_url = "http://{mock_addr}/v1"
api = "responses"
[models."r-mini"]
upstream = "mockr"
name = "gpt-4o-mini"
[[teams.sdk.keys]]
sha256 = "{digest}"
# Files, batches, moderations and the rest of the surface go to the plain mock.
[passthrough]
upstream = "mock"
"""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(cfg)
        path = f.name
    gw, gw_addr = _start(["serve", "--config", path])
    try:
        yield Stack(mock_addr, gw_addr)
    finally:
        for p in (gw, mock):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        os.unlink(path)
