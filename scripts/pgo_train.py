#!/usr/bin/env python3
"""Training run for the profile-guided build (run by scripts/pgo-build).

Starts `gearbox mock` and an instrumented gateway the way scripts/bench does (bench.py's
start_mock / start_gearbox: the benchmark's config, with key auth, routing, goal-form rewrite,
parameter translation, limits, metrics, access log), then sends every request of the router's
own labeled set (data/router/own.jsonl: seven languages, chat and reasoning, with and without
tools, system prompts, pasted material) once plain and once streaming, and stops both with
SIGTERM so the profile runtime writes its data as the gateway exits.

The training set is deliberately not the benchmark's bodies (bench.py builds its own): the
profile describes the gateway's ordinary request path, not one workload.

usage: pgo_train.py GATEWAY_BIN MOCK_BIN WORKDIR   (PGO_TRAIN_LIMIT=N: the first N requests only)
Standard library only. Exits non-zero when a request is not answered 200 (a broken build must
not be profiled, let alone shipped).
"""

import http.client
import json
import os
import signal
import sys
from pathlib import Path

import bench


def main():
    gateway_bin, mock_bin = (Path(a).resolve() for a in sys.argv[1:3])
    bench.WORK = Path(sys.argv[3]).resolve()
    bench.WORK.mkdir(parents=True, exist_ok=True)
    try:
        # The mock is not the binary being profiled: keep its profile (if any) out of the way.
        mock_p, mock = bench.start_mock(0, mock_bin, {"LLVM_PROFILE_FILE": str(bench.WORK / "mock-%p.profraw.ignored")})
        gw, addr = bench.start_gearbox(mock, "pgo", gateway_bin)
        host, port = addr.split(":")
        reqs = [json.loads(line)["request"]
                for line in (bench.ROOT / "data/router/own.jsonl").read_text().splitlines() if line.strip()]
        reqs = reqs[:int(os.environ.get("PGO_TRAIN_LIMIT", len(reqs)))]
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        auth = {"authorization": f"Bearer {bench.GATEWAY_KEY}"}
        codes = {}
        for i, req in enumerate(reqs):
            for stream in (False, True):
                body = dict(req, user=f"pgo-{i}")
                if stream:
                    body["stream"] = True
                conn.request("POST", "/v1/chat/completions", json.dumps(body),
                             {**auth, "content-type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                codes[resp.status] = codes.get(resp.status, 0) + 1
                if resp.status != 200 or (stream and b"data: [DONE]" not in data):
                    raise SystemExit(f"pgo_train: request {i} (stream={stream}) answered {resp.status}: "
                                     f"{data[:300]!r}")
        # A few of the gateway's other endpoints, as a client sees them.
        for path in ("/v1/models", "/healthz", "/metrics"):
            conn.request("GET", path, headers=auth)
            conn.getresponse().read()
        print(f"pgo_train: {sum(codes.values())} requests, statuses {codes}")
        bench.stop(gw)
        if gw.returncode not in (0, -signal.SIGTERM):
            raise SystemExit(f"pgo_train: gateway exited with {gw.returncode} (see {bench.WORK}/gearbox-pgo.log)")
    finally:
        for p in list(bench.procs):
            bench.stop(p)


if __name__ == "__main__":
    main()
