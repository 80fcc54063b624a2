#!/usr/bin/env python3
"""Training run for the profile-guided build (run by scripts/pgo-build).

Starts `gearbox mock` and an instrumented gateway (the benchmark's config: key auth, routing,
goal-form rewrite, parameter translation, limits, metrics, access log), then sends every request
of the router's own labeled set (data/router/own.jsonl: seven languages, chat and reasoning,
with and without tools, system prompts, pasted material) once plain and once streaming, and
stops both gracefully so the profile runtime writes its data at exit.

The training set is deliberately not the benchmark's bodies (scripts/bench.py builds its own):
the profile describes the gateway's ordinary request path, not one workload.

usage: pgo_train.py GATEWAY_BIN MOCK_BIN WORKDIR   (PGO_TRAIN_LIMIT=N: the first N requests only)
Standard library only. Exits non-zero when a request is not answered 200 (a broken build must
not be profiled, let alone shipped).
"""

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY = "gbx-pgo-key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(host, port, path, secs=60):
    end = time.time() + secs
    while time.time() < end:
        try:
            c = http.client.HTTPConnection(host, port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"pgo_train: http://{host}:{port}{path} did not come up")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    gateway_bin, mock_bin = (str(Path(a).resolve()) for a in sys.argv[1:3])
    work = Path(sys.argv[3]).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # The mock is not the binary being profiled: keep its profile (if any) out of the way.
    mock_env = {**os.environ, "LLVM_PROFILE_FILE": str(work / "mock-%p.profraw.ignored")}
    mock = subprocess.Popen([mock_bin, "mock", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=open(work / "mock.log", "w"), env=mock_env, cwd=work)
    procs = [mock]
    try:
        addr = mock.stdout.readline().decode().strip().rsplit("http://", 1)[-1]
        mhost, mport = addr.split(":")
        wait_http(mhost, int(mport), "/v1/models")
        port = free_port()
        conf = ((ROOT / "benches/load/gearbox.toml").read_text()
                .replace("@MOCK@", addr).replace("@LISTEN@", f"127.0.0.1:{port}")
                .replace("@KEYHASH@", hashlib.sha256(KEY.encode()).hexdigest()))
        conf_dir = work / "conf"
        conf_dir.mkdir(exist_ok=True)
        (conf_dir / "gearbox.toml").write_text(conf)
        gw = subprocess.Popen([gateway_bin, "serve", "--config", str(conf_dir / "gearbox.toml")],
                              stdout=open(work / "gateway.log", "w"), stderr=subprocess.STDOUT, cwd=work)
        procs.append(gw)
        wait_http("127.0.0.1", port, "/healthz")

        reqs = [json.loads(line)["request"]
                for line in (ROOT / "data/router/own.jsonl").read_text().splitlines() if line.strip()]
        reqs = reqs[:int(os.environ.get("PGO_TRAIN_LIMIT", len(reqs)))]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        codes = {}
        for i, req in enumerate(reqs):
            for stream in (False, True):
                body = dict(req, user=f"pgo-{i}")
                if stream:
                    body["stream"] = True
                conn.request("POST", "/v1/chat/completions", json.dumps(body),
                             {"authorization": f"Bearer {KEY}", "content-type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                codes[resp.status] = codes.get(resp.status, 0) + 1
                if resp.status != 200 or (stream and b"data: [DONE]" not in data):
                    raise SystemExit(f"pgo_train: request {i} (stream={stream}) answered {resp.status}: "
                                     f"{data[:300]!r}")
        # A few of the gateway's other endpoints, as a client sees them.
        for path in ("/v1/models", "/healthz", "/metrics"):
            conn.request("GET", path, headers={"authorization": f"Bearer {KEY}"})
            conn.getresponse().read()
        print(f"pgo_train: {sum(codes.values())} requests, statuses {codes}")
    finally:
        for p in reversed(procs):
            stop(p)
    if gw.returncode not in (0, -signal.SIGTERM):
        raise SystemExit(f"pgo_train: gateway exited with {gw.returncode}")


if __name__ == "__main__":
    main()
