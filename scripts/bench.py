#!/usr/bin/env python3
"""Load benchmark driver (run through scripts/bench, which builds and installs the tools).

One run measures, side by side against the same `gearbox mock` upstream:
  direct   the mock itself (the baseline every ratio is taken against)
  nginx    nginx proxy_pass, one worker (the floor a proxy costs)
  gearbox  the gateway doing its full job (auth, routing, rewrite, limits, metrics, access log)
  litellm  LiteLLM proxy, one worker
at fixed concurrency (16, 64) and fixed rates (500, 2000 rps), plain and streaming, with a
zero-latency mock and a 50 ms one; the same conversations as Responses API requests
(`POST /v1/responses`, plain and streaming) to gearbox and to the mock, next to gearbox's chat
cells; an HTTP/2 line (h2c with prior knowledge: many streams over few connections; direct,
nginx's `http2` listener and gearbox, skipped with a message when oha or nginx cannot speak it);
then time to first byte and chunk gaps of streams
(examples/streamprobe.rs), and memory: RSS idle and with 5,000 open streams. Writes
BENCHMARKS.md. Standard library only.
"""

import datetime
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target/release/gearbox"
# The gateway under test: the profile-guided build when scripts/bench made one (scripts/pgo-build),
# else the plain release build. The mock and `gearbox route` always run the plain build.
GATEWAY_BIN = Path(os.environ.get("BENCH_GATEWAY_BIN") or BIN)
PGO = GATEWAY_BIN.resolve() != BIN.resolve()
PROBE = ROOT / "target/release/examples/streamprobe"
LOAD = ROOT / "benches/load"
WORK = ROOT / ".bench/run"
SECS = int(os.environ.get("BENCH_SECS", "10"))
SKIP_LITELLM = os.environ.get("BENCH_SKIP_LITELLM") == "1"
GATEWAY_KEY = "gbx-bench-key"
LITELLM_KEY = "sk-litellm-bench-0123456789abcdef"
STREAMS = int(os.environ.get("BENCH_STREAMS", "5000"))
# Only the HTTP/2 line (and the report around it): a quick look without the full run.
ONLY_H2 = os.environ.get("BENCH_ONLY_H2") == "1"
# A partial run never overwrites BENCHMARKS.md unless told to.
OUT = Path(os.environ.get("BENCH_OUT", ROOT / (".bench/h2.md" if ONLY_H2 else "BENCHMARKS.md")))

procs = []


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, secs=90):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                                 capture_output=True, text=True, timeout=5)
            if out.stdout.strip() not in ("", "000"):
                return
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.25)
    raise SystemExit(f"{url} did not come up")


def start(name, args, env=None, stdout=None):
    logf = open(WORK / f"{name}.log", "w")
    p = subprocess.Popen(args, stdout=stdout or logf, stderr=logf, env={**os.environ, **(env or {})},
                         cwd=WORK, start_new_session=True)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if p in procs:
        procs.remove(p)


def tree_rss_kib(pid):
    """RSS of a process and all its descendants, KiB."""
    children = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


# ---------------------------------------------------------------------------------------------
# Servers

def start_mock(ttft_ms, binary=None, env=None):
    p = start(f"mock-{ttft_ms}ms", [str(binary or BIN), "mock", "--listen", "127.0.0.1:0", "--ttft-ms", str(ttft_ms)],
              env=env, stdout=subprocess.PIPE)
    line = p.stdout.readline().decode()
    addr = line.strip().rsplit("http://", 1)[-1]
    wait_http(f"http://{addr}/v1/models")
    return p, addr


def start_gearbox(mock, tag, binary=None):
    conf_dir = WORK / f"gearbox-conf-{tag}"  # its own directory: the reload watcher sees only it
    conf_dir.mkdir(exist_ok=True)
    text = (LOAD / "gearbox.toml").read_text()
    port = free_port()
    text = (text.replace("@MOCK@", mock).replace("@LISTEN@", f"127.0.0.1:{port}")
            .replace("@KEYHASH@", hashlib.sha256(GATEWAY_KEY.encode()).hexdigest()))
    (conf_dir / "gearbox.toml").write_text(text)
    # The allocator settings the Dockerfile ships: commit arena memory as it is used, return
    # freed memory to the OS after 10 ms (README, "Performance").
    p = start(f"gearbox-{tag}", [str(binary or GATEWAY_BIN), "serve", "--config", str(conf_dir / "gearbox.toml")],
              env={"MIMALLOC_PURGE_DELAY": "10", "MIMALLOC_ARENA_EAGER_COMMIT": "0"})
    addr = f"127.0.0.1:{port}"
    wait_http(f"http://{addr}/healthz")
    return p, addr


def nginx_has_http2():
    out = subprocess.run(["nginx", "-V"], capture_output=True, text=True)
    return "--with-http_v2_module" in out.stderr + out.stdout


def start_nginx(mock, tag):
    """nginx in front of `mock`: (process, HTTP/1.1 address, h2c address or None)."""
    d = WORK / f"nginx-{tag}"
    d.mkdir(exist_ok=True)
    port, port_h2 = free_port(), free_port()
    text = (LOAD / "nginx.conf").read_text()
    h2 = nginx_has_http2()
    if not h2:
        head, rest = text.split("# h2-begin", 1)
        text = head + rest.split("# h2-end", 1)[1]
    text = (text.replace("@MOCK@", mock).replace("@LISTEN@", f"127.0.0.1:{port}")
            .replace("@LISTEN_H2@", f"127.0.0.1:{port_h2}").replace("@DIR@", str(d)))
    (d / "nginx.conf").write_text(text)
    p = start(f"nginx-{tag}", ["nginx", "-c", str(d / "nginx.conf"), "-p", str(d)])
    addr = f"127.0.0.1:{port}"
    wait_http(f"http://{addr}/v1/models")
    return p, addr, (f"127.0.0.1:{port_h2}" if h2 else None)


def start_litellm(mock, tag):
    port = free_port()
    cfg = WORK / f"litellm-{tag}.yaml"
    cfg.write_text((LOAD / "litellm.yaml").read_text().replace("@MOCK@", mock))
    exe = ROOT / ".bench/litellm-venv/bin/litellm"
    p = start(f"litellm-{tag}", [str(exe), "--config", str(cfg), "--host", "127.0.0.1", "--port", str(port),
                                 "--num_workers", "1"],
              env={"LITELLM_MASTER_KEY": LITELLM_KEY, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                   "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False"})
    addr = f"127.0.0.1:{port}"
    wait_http(f"http://{addr}/health/liveliness", secs=180)
    return p, addr


# ---------------------------------------------------------------------------------------------
# Request bodies: half reasoning-bound with chain-of-thought phrasing (routing, rewrite and
# parameter translation all run), half interactive chat; numbers and names vary per line.

REASONING = [
    ("You are a world-class financial analyst. Think step by step and show your work.",
     "Our subscription business had {a},400 customers on January 1. Monthly churn was 3.{b}% for the first "
     "five months and 2.4% after we changed onboarding in June; we added {c}10 new customers each month. "
     "Average revenue per customer was $42 per month until September, then ${d} after the price change, "
     "which raised churn by 0.3 points. Let's think step by step: work out the customer count at the end "
     "of each month, the total revenue for the year, and whether the price change paid for itself by "
     "December. State the break-even month if there is one and list your assumptions."),
    ("You are an expert Python engineer.",
     "Take a deep breath and reason it out before answering. This function should return the median of a "
     "list but fails on some inputs:\n\n```python\ndef median(xs):\n    xs.sort()\n    n = len(xs)\n"
     "    return xs[n // 2] if n % 2 else (xs[n // 2] + xs[n // 2 + {b}]) / 2\n```\n\nFind every bug, "
     "explain which inputs trigger each one (list {a} of them), and give a corrected version that does "
     "not mutate its argument. Answer in Markdown with a table of failing inputs."),
    ("You are a senior site reliability engineer with decades of experience.",
     "Think step by step. We run {a} services on two Kubernetes clusters and must move them to a new "
     "region within {c} weeks with no more than {b} minutes of downtime per service. Databases are "
     "Postgres 15 with logical replication available. Plan the migration: order of moves, how to cut over "
     "traffic, how to roll back, and the risks for each phase. Keep it under 600 words; use numbered "
     "phases. Do not assume we can buy new tooling."),
]
CHAT = [
    ("You are a helpful assistant for our support team.",
     "Rewrite this reply so it sounds friendlier and shorter: 'Your ticket #{a}{b} has been received. An "
     "agent will be assigned according to the queue order. Do not reply to this message.'"),
    ("You are a helpful assistant.",
     "What's a good name for a grey cat that likes boxes? Give me {b} ideas."),
    ("You are a translator.",
     "Translate into French: 'The meeting moved to {c} pm on Thursday; room {a} is booked.'"),
]


def make_bodies(n=64):
    rnd = random.Random(7)
    gw = []
    for i in range(n):
        system, user = (REASONING if i % 2 == 0 else CHAT)[(i // 2) % 3]
        text = user.format(a=rnd.randint(2, 40), b=rnd.randint(1, 9), c=rnd.randint(2, 9), d=rnd.randint(43, 49))
        body = {"model": "auto",
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": text}],
                "temperature": 0.7, "max_tokens": 800, "user": f"bench-{i}"}
        gw.append(body)
    lines = "\n".join(json.dumps({"id": str(i), "request": b}) for i, b in enumerate(gw))
    (WORK / "route-in.jsonl").write_text(lines + "\n")
    out = subprocess.run([str(BIN), "route", "--input", str(WORK / "route-in.jsonl")],
                         capture_output=True, text=True, check=True).stdout
    routes = [json.loads(l)["route"] for l in out.splitlines() if l.strip()]
    direct = []
    for b, r in zip(gw, routes):
        d = dict(b)
        d["model"] = "o3-mini" if r == "reasoning" else "gpt-4o-mini"
        direct.append(d)
    files = {}
    for kind, bodies in (("gw", gw), ("direct", direct)):
        for mode in ("plain", "stream"):
            path = WORK / f"bodies-{kind}-{mode}.txt"
            with open(path, "w") as f:
                for b in bodies:
                    b = dict(b)
                    if mode == "stream":
                        b["stream"] = True
                    f.write(json.dumps(b, separators=(",", ":")) + "\n")
            files[(kind, mode)] = path
            # The same conversations as Responses API requests (`store: false`: the cells measure
            # the translation, not the growth of the response store).
            path = WORK / f"bodies-{kind}-resp-{mode}.txt"
            with open(path, "w") as f:
                for b in bodies:
                    r = {"model": b["model"], "instructions": b["messages"][0]["content"],
                         "input": b["messages"][1]["content"], "temperature": b["temperature"],
                         "max_output_tokens": b["max_tokens"], "user": b["user"], "store": False}
                    if mode == "stream":
                        r["stream"] = True
                    f.write(json.dumps(r, separators=(",", ":")) + "\n")
            files[(kind, "resp-" + mode)] = path
    return files, routes


# ---------------------------------------------------------------------------------------------
# Load runs

LOADS = {
    "c16": (["-c", "16"], None),
    "c64": (["-c", "64"], None),
    "500rps": (["-c", "128", "-q", "500", "--latency-correction"], 500),
    "2000rps": (["-c", "256", "-q", "2000", "--latency-correction"], 2000),
    # HTTP/2 with prior knowledge: 128 streams at once over 4 connections (closed loop).
    "h2 4x32": (["--http2", "-c", "4", "-p", "32"], None),
}
H2_LOAD = "h2 4x32"


def h2_unavailable():
    """Why the HTTP/2 line cannot run here, or None."""
    out = subprocess.run(["oha", "--help"], capture_output=True, text=True)
    if "--http2" not in out.stdout:
        return "this oha has no --http2"
    return None


def oha(url, body_file, load, auth, secs):
    args, _ = LOADS[load]
    cmd = ["oha", "--no-tui", "-w", "-z", f"{secs}s", *args, "-m", "POST", "-T", "application/json",
           "-Z", str(body_file), "--output-format", "json", url]
    if auth:
        cmd[1:1] = ["-H", f"authorization: Bearer {auth}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    try:
        d = json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": (out.stderr or out.stdout)[:300]}
    codes = d.get("statusCodeDistribution") or {}
    ok = codes.get("200", 0)
    total = sum(codes.values()) + sum((d.get("errorDistribution") or {}).values())
    p = d.get("latencyPercentiles") or {}
    fb = d.get("firstBytePercentiles") or {}
    ms = lambda v: None if v is None else v * 1e3
    return {"rps": ok / max(d["summary"].get("total", secs), 1e-9), "ok": ok, "errors": total - ok,
            "p50": ms(p.get("p50")), "p90": ms(p.get("p90")), "p99": ms(p.get("p99")),
            "ttfb50": ms(fb.get("p50")), "ttfb99": ms(fb.get("p99")),
            "codes": codes, "error_kinds": d.get("errorDistribution") or {}}


def probe_ttfb(url, body_file, auth, n=300):
    cmd = [str(PROBE), "ttfb", url, str(body_file), str(n)] + ([auth] if auth else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        return {"error": out.stderr[-300:]}
    return json.loads(out.stdout)


# The Responses line: gearbox (translated to Chat Completions for the mock) and the mock's own
# /v1/responses, at the loads below; gearbox's chat cells of the same loads are the comparison.
RESP_LOADS = ["c16", "500rps"]


def run_responses(servers, files, variant, results, secs):
    for t in ("direct", "gearbox"):
        p, addr, auth, kind = servers[t]
        oha(f"http://{addr}/v1/responses", files[(kind, "resp-plain")], "c16", auth, 2)
    for mode in ("plain", "stream"):
        for load in RESP_LOADS:
            for t in ("direct", "gearbox"):
                p, addr, auth, kind = servers[t]
                log(f"{variant} responses {mode} {load} {t}")
                r = oha(f"http://{addr}/v1/responses", files[(kind, "resp-" + mode)], load, auth, secs)
                r["rss_kib"] = tree_rss_kib(p.pid)
                results[(variant, "resp-" + mode, load, t)] = r


def responses_table(results, variant="0ms"):
    """The Responses line as Markdown rows: +p50 against the mock's own /v1/responses and against
    gearbox's chat cell at the same load and mode."""
    g = lambda *k: results.get(k, {})
    rows = ["| Mode | Load | Target | req/s | p50 | p99 | +p50 vs direct | +p50 vs gearbox chat | errors |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for mode in ("plain", "stream"):
        for load in RESP_LOADS:
            base = g(variant, "resp-" + mode, load, "direct")
            chat = g(variant, mode, load, "gearbox")
            for t in ("direct", "gearbox"):
                r = g(variant, "resp-" + mode, load, t)
                if "rps" not in r:
                    rows.append(f"| {mode} | {load} | {t} | failed: {str(r.get('error', ''))[:80]} | | | | | |")
                    continue
                vs = lambda o: None if o.get("p50") is None or r.get("p50") is None else r["p50"] - o["p50"]
                rows.append(f"| {mode} | {load} | {t} | {r['rps']:,.0f} | {fmt(r['p50'], 3)} | {fmt(r['p99'], 3)} | "
                            f"{fmt(vs(base), 3)} | {fmt(vs(chat) if t == 'gearbox' else None, 3)} | {r['errors']} |")
    return rows


def responses_only():
    """BENCH_ONLY=responses: the Responses line and gearbox's chat cells of the same loads, zero
    latency mock, printed (BENCHMARKS.md is not written)."""
    files, _ = make_bodies()
    mock_p, mock = start_mock(0)
    gw_p, gw = start_gearbox(mock, "0ms")
    time.sleep(1.0)
    servers = {"direct": (mock_p, mock, None, "direct"), "gearbox": (gw_p, gw, GATEWAY_KEY, "gw")}
    results = {}
    oha(f"http://{gw}/v1/chat/completions", files[("gw", "plain")], "c16", GATEWAY_KEY, 2)
    for mode in ("plain", "stream"):
        for load in RESP_LOADS:
            log(f"0ms chat {mode} {load} gearbox")
            results[("0ms", mode, load, "gearbox")] = oha(f"http://{gw}/v1/chat/completions", files[("gw", mode)],
                                                          load, GATEWAY_KEY, SECS)
    run_responses(servers, files, "0ms", results, SECS)
    print("\n".join(responses_table(results)))
    for mode in ("plain", "stream"):
        for load in RESP_LOADS:
            r = results[("0ms", mode, load, "gearbox")]
            print(f"gearbox chat {mode} {load}: {fmt(r.get('rps'), 0)} req/s, p50 {fmt(r.get('p50'), 3)} ms, "
                  f"p99 {fmt(r.get('p99'), 3)} ms, errors {r.get('errors')}")


def set_mock_latency(mock, ttft_ms, tps):
    subprocess.run(["curl", "-s", "-X", "PUT", f"http://{mock}/mock/latency", "-H", "content-type: application/json",
                    "-d", json.dumps({"ttft_ms": ttft_ms, "tokens_per_sec": tps})], capture_output=True, check=True)


# ---------------------------------------------------------------------------------------------
# Report

def fmt(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}"


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    ver = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stderr.strip() or \
        subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return {
        "cpu": f"{os.cpu_count()} × {cpu}", "mem": f"{int(mem) // 1024 // 1024} GiB",
        "kernel": os.uname().release, "nginx": ver(["nginx", "-v"]).replace("nginx version: ", ""),
        "oha": ver(["oha", "--version"]), "gearbox": sha,
        "litellm": "skipped" if SKIP_LITELLM else os.environ.get("LITELLM_VERSION", "1.108.7"),
    }


def main():
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    if os.environ.get("BENCH_ONLY") == "responses":
        responses_only()
        return
    targets = ["direct", "nginx", "gearbox"] + ([] if SKIP_LITELLM else ["litellm"])
    results = {}  # (variant, mode, load, target) -> dict
    extra = {}
    files, routes = make_bodies()
    extra["routes"] = {r: routes.count(r) for r in set(routes)}
    log(f"bodies: {extra['routes']} (gearbox's own routing of the 64 request bodies)")

    variants = (("0ms", 0, ["c16", "c64", "500rps", "2000rps"]), ("50ms", 50, ["c64", "500rps"]))
    if ONLY_H2:
        variants = (("0ms", 0, []),)
        targets = ["direct", "nginx", "gearbox"]
    for variant, ttft, loads in variants:
        mock_p, mock = start_mock(ttft)
        nginx_p, nginx, nginx_h2 = start_nginx(mock, variant)
        gw_p, gw = start_gearbox(mock, variant)
        time.sleep(1.0)
        if variant == "0ms":
            extra["rss_idle_kib"] = tree_rss_kib(gw_p.pid)
        servers = {"direct": (mock_p, mock, None, "direct"), "nginx": (nginx_p, nginx, None, "direct"),
                   "gearbox": (gw_p, gw, GATEWAY_KEY, "gw")}
        if not SKIP_LITELLM and not ONLY_H2:
            ll_p, ll = start_litellm(mock, variant)
            servers["litellm"] = (ll_p, ll, LITELLM_KEY, "direct")
        # Warm every path (pools, lazy tables) before measuring.
        for t in targets:
            p, addr, auth, kind = servers[t]
            oha(f"http://{addr}/v1/chat/completions", files[(kind, "plain")], "c16", auth, 2)
        for mode in ("plain", "stream"):
            for load in loads:
                for t in targets:
                    p, addr, auth, kind = servers[t]
                    log(f"{variant} {mode} {load} {t}")
                    r = oha(f"http://{addr}/v1/chat/completions", files[(kind, mode)], load, auth, SECS)
                    r["rss_kib"] = tree_rss_kib(p.pid)
                    results[(variant, mode, load, t)] = r
        if variant == "0ms":
            # HTTP/2 (h2c, prior knowledge) on the same servers: the mock and gearbox serve it on
            # their one port, nginx on its `http2` listener; LiteLLM (uvicorn) does not speak it.
            why = h2_unavailable()
            if why:
                log(f"HTTP/2 line skipped: {why}")
                extra["h2_skipped"] = why
            else:
                h2_addrs = {"direct": mock, "nginx": nginx_h2, "gearbox": gw}
                for mode in ("plain", "stream"):
                    for t in ("direct", "nginx", "gearbox"):
                        p, _, auth, kind = servers[t]
                        if h2_addrs[t] is None:
                            log(f"HTTP/2 {t} skipped: nginx has no http_v2 module")
                            results[("h2", mode, H2_LOAD, t)] = {"error": "nginx without the http_v2 module"}
                            continue
                        log(f"h2 {mode} {H2_LOAD} {t}")
                        r = oha(f"http://{h2_addrs[t]}/v1/chat/completions", files[(kind, mode)], H2_LOAD, auth, SECS)
                        r["rss_kib"] = tree_rss_kib(p.pid)
                        results[("h2", mode, H2_LOAD, t)] = r
        if variant == "0ms" and not ONLY_H2:
            run_responses(servers, files, variant, results, SECS)
            extra["rss_after_load_kib"] = tree_rss_kib(gw_p.pid)
            # Streams at 200 tokens/s: TTFB and the gaps between events as the client sees them.
            set_mock_latency(mock, 0, 200)
            probe_body = WORK / "probe-gw.json"
            probe_direct = WORK / "probe-direct.json"
            lines_gw = files[("gw", "stream")].read_text().splitlines()
            lines_direct = files[("direct", "stream")].read_text().splitlines()
            probe_body.write_text(lines_gw[0])
            probe_direct.write_text(lines_direct[0])
            extra["probe"] = {}
            for t in targets:
                p, addr, auth, kind = servers[t]
                log(f"stream probe {t}")
                n = 40 if t == "litellm" else 200
                extra["probe"][t] = probe_ttfb(f"http://{addr}/v1/chat/completions",
                                               probe_body if kind == "gw" else probe_direct, auth, n)
            if PGO:
                # The same probe through the plain release build, for comparison.
                plain_p, plain = start_gearbox(mock, "plain", BIN)
                time.sleep(1.0)
                oha(f"http://{plain}/v1/chat/completions", files[("gw", "plain")], "c16", GATEWAY_KEY, 2)
                log("stream probe gearbox, plain build")
                extra["probe"]["gearbox (plain build)"] = probe_ttfb(
                    f"http://{plain}/v1/chat/completions", probe_body, GATEWAY_KEY, 200)
                stop(plain_p)
            # 5,000 streams held open through the gateway against a slow upstream.
            set_mock_latency(mock, 0, 1)
            log(f"holding {STREAMS} streams through gearbox")
            out = subprocess.run([str(PROBE), "hold", f"http://{gw}/v1/chat/completions", str(probe_body),
                                  str(STREAMS), "10", str(gw_p.pid), GATEWAY_KEY],
                                 capture_output=True, text=True, timeout=900)
            extra["hold"] = json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr[-400:]}
            time.sleep(2)
            extra["rss_after_streams_kib"] = tree_rss_kib(gw_p.pid)
            set_mock_latency(mock, 0, 0)
        for p in list(procs):
            stop(p)

    write_report(results, extra, targets)
    log(f"wrote {OUT}")


def write_report(results, extra, targets):
    m = machine()
    g = lambda *k: results.get(k, {})
    lines = []
    w = lines.append
    w("# Benchmarks")
    w("")
    w(f"Generated by `scripts/bench` on {datetime.date.today().isoformat()} (gearbox {m['gearbox']}). "
      "One run; every number below comes from it. Load generator, proxies and the upstream simulator "
      "(`gearbox mock`) share one machine over loopback.")
    w("")
    w(f"- Machine: {m['cpu']}, {m['mem']}, Linux {m['kernel']}")
    w(f"- Tools: oha {m['oha'].replace('oha ', '')}, nginx {m['nginx']} (1 worker, pinned to the first CPU), LiteLLM proxy {m['litellm']} (1 worker)")
    w(f"- Each cell: {SECS} s of load; bodies: 64 distinct Chat Completions requests, "
      f"{extra['routes'].get('reasoning', 0)} routed to the reasoning model by gearbox (rewritten and translated) "
      f"and {extra['routes'].get('chat', 0)} to the chat model; direct, nginx and LiteLLM get the same bodies "
      "with the model gearbox picked, so the upstream does the same work.")
    w("- gearbox config: `benches/load/gearbox.toml` (key auth, routing, rewrite, limits checked, metrics, "
      "JSON access log to a file, cache off; one worker, pinned to the first CPU as nginx's is).")
    if PGO:
        w("- gearbox build: profile-guided (`scripts/pgo-build`: the profile comes from the router's own labeled "
          "set, data/router/own.jsonl, sent through the gateway plain and streaming, not from these bodies). The "
          "Dockerfile ships the same build. The stream probe below also runs the plain release build.")
    else:
        w("- gearbox build: plain release (`cargo build --release`; BENCH_PGO=0).")
    w("")

    # Budget
    d500, g500 = g("0ms", "plain", "500rps", "direct"), g("0ms", "plain", "500rps", "gearbox")
    n16, g16, l16 = g("0ms", "plain", "c16", "nginx"), g("0ms", "plain", "c16", "gearbox"), g("0ms", "plain", "c16", "litellm")
    pr = extra.get("probe", {})
    hold = extra.get("hold", {})

    def added(a, b, k):
        return None if a.get(k) is None or b.get(k) is None else b[k] - a[k]

    add50, add99 = added(d500, g500, "p50"), added(d500, g500, "p99")
    ttfb_add = None
    if "first_event_ms" in pr.get("gearbox", {}) and "first_event_ms" in pr.get("direct", {}):
        ttfb_add = pr["gearbox"]["first_event_ms"]["p50"] - pr["direct"]["first_event_ms"]["p50"]
    ratio_ng = g16.get("rps", 0) / n16["rps"] if n16.get("rps") else None
    ratio_ll = g16.get("rps", 0) / l16["rps"] if l16.get("rps") else None
    ok = lambda c: "yes" if c else "**no**"
    w("## Budget")
    w("")
    w("| Budget | Target | Measured | Met |")
    w("|---|---|---|---|")
    w(f"| added latency p50 at 500 rps (gearbox − direct) | ≤ 0.25 ms | {fmt(add50, 3)} ms | {ok(add50 is not None and add50 <= 0.25)} |")
    w(f"| added latency p99 at 500 rps | ≤ 1 ms | {fmt(add99, 3)} ms | {ok(add99 is not None and add99 <= 1.0)} |")
    w(f"| throughput at 16 connections vs nginx | ≥ 50 % | {fmt(ratio_ng and ratio_ng * 100, 0)} % | {ok(ratio_ng is not None and ratio_ng >= 0.5)} |")
    if ratio_ll is not None:
        w(f"| throughput at 16 connections vs LiteLLM | ≥ 100× | {fmt(ratio_ll, 0)}× | {ok(ratio_ll >= 100)} |")
    w(f"| streaming: time to first event added, p50 | ≤ 0.3 ms | {fmt(ttfb_add, 3)} ms | {ok(ttfb_add is not None and ttfb_add <= 0.3)} |")
    if "events_per_read" in pr.get("gearbox", {}):
        gg, dd = pr["gearbox"], pr["direct"]
        w(f"| streaming: chunks forwarded without batching | gaps as upstream's | gap p50 {fmt(gg['event_gap_ms']['p50'])} ms "
          f"(direct {fmt(dd['event_gap_ms']['p50'])}), {fmt(gg['events_per_read'])} events per read (direct {fmt(dd['events_per_read'])}) "
          f"| {ok(gg['events_per_read'] <= dd['events_per_read'] * 1.2 + 0.05)} |")
    idle = extra.get("rss_idle_kib", 0) / 1024
    # 64 MB since issue 18: the router's embedding table (config/embed.bin) is part of the
    # process; it was 30 MB before.
    w(f"| RSS idle | ≤ 64 MB | {idle:.1f} MB | {ok(idle <= 64)} |")
    if "rss_kib_peak" in hold:
        peak = hold["rss_kib_peak"] / 1024
        w(f"| RSS with {hold['streams_open']:,} open streams | ≤ 200 MB | {peak:.1f} MB (peak) | "
          f"{ok(peak <= 200 and hold['streams_open'] >= STREAMS)} |")
    w("")
    plain = pr.get("gearbox (plain build)", {})
    if "first_event_ms" in plain and "first_event_ms" in pr.get("direct", {}):
        pa = plain["first_event_ms"]["p50"] - pr["direct"]["first_event_ms"]["p50"]
        w(f"The budget is measured on the profile-guided build. The plain release build (`cargo build --release`, "
          f"no profile) adds {fmt(pa, 3)} ms to the first event in the same run (stream probe table below).")
    w("")

    for variant, title in (("0ms", "Upstream answering at once"), ("50ms", "Upstream with 50 ms to first token"),
                           ("h2", "HTTP/2, 128 streams over 4 connections (h2c, prior knowledge)")):
        for mode in ("plain", "stream"):
            loads = [l for l in LOADS if (variant, mode, l, "direct") in results]
            if not loads:
                continue
            w(f"## {title}: {'streaming' if mode == 'stream' else 'non-streaming'}")
            w("")
            if variant == "h2":
                w("oha `--http2 -c 4 -p 32` against the zero-latency mock: clients speak HTTP/2 to the server "
                  "under test (nginx on its `http2` listener), which speaks HTTP/1.1 to the mock; direct is "
                  "the mock serving HTTP/2 itself. LiteLLM is not in this table (uvicorn does not speak h2c).")
                w("")
            w("Latency in ms; ratios are to direct (throughput ×, latency +ms added). Errors: non-200 answers "
              "and failed requests. RSS: the server after the cell, all its processes.")
            w("")
            w("| Load | Target | req/s | × direct | p50 | p90 | p99 | +p50 | +p99 | first byte p50 | errors | RSS MB |")
            w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for load in loads:
                base = g(variant, mode, load, "direct")
                for t in targets:
                    r = g(variant, mode, load, t)
                    if not r:
                        continue
                    if "error" in r:
                        w(f"| {load} | {t} | failed: {r['error'][:80]} | | | | | | | | | |")
                        continue
                    ratio = r["rps"] / base["rps"] if base.get("rps") else None
                    w(f"| {load} | {t} | {r['rps']:,.0f} | {fmt(ratio)} | {fmt(r['p50'], 3)} | {fmt(r['p90'], 3)} | "
                      f"{fmt(r['p99'], 3)} | {fmt(added(base, r, 'p50'), 3)} | {fmt(added(base, r, 'p99'), 3)} | "
                      f"{fmt(r.get('ttfb50'), 3)} | {r['errors']} | {r['rss_kib'] / 1024:.1f} |")
            w("")

    if ("0ms", "resp-plain", RESP_LOADS[0], "gearbox") in results:
        w("## Responses API (`POST /v1/responses`), upstream answering at once")
        w("")
        w("The same 64 conversations as Responses requests (`instructions` + `input`, `store: false`). gearbox "
          "translates them to Chat Completions for the mock (its upstream speaks chat) and the answers back; "
          "direct is the mock's own `/v1/responses` (which does the same translation inside). +p50 vs gearbox "
          "chat: the Responses cell against gearbox's chat cell of the same load and mode above.")
        w("")
        lines.extend(responses_table(results))
        w("")

    if extra.get("h2_skipped"):
        w(f"HTTP/2 line: skipped ({extra['h2_skipped']}).")
        w("")
    if ONLY_H2:
        OUT.write_text("\n".join(lines) + "\n")
        (WORK / "results.json").write_text(json.dumps({"results": {"|".join(k): v for k, v in results.items()},
                                                       "extra": extra}, indent=1))
        return
    w("## Streams as the client sees them")
    w("")
    w("`streamprobe ttfb`: sequential streaming requests on one keep-alive connection, the mock emitting "
      "200 tokens/s. Head: time to the response head; first event: to the first `data:` event; gap: between "
      "consecutive events; events per read: how many events arrive in one socket read (1.0 = no batching).")
    w("")
    w("| Target | requests | head p50 | first event p50 | first event p99 | gap p50 | gap p99 | events/read |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in targets + [k for k in pr if k not in targets]:
        r = pr.get(t, {})
        if "head_ms" not in r:
            w(f"| {t} | failed: {str(r.get('error', ''))[:80]} | | | | | | |")
            continue
        w(f"| {t} | {r['requests']} | {fmt(r['head_ms']['p50'], 3)} | {fmt(r['first_event_ms']['p50'], 3)} | "
          f"{fmt(r['first_event_ms']['p99'], 3)} | {fmt(r['event_gap_ms']['p50'], 3)} | {fmt(r['event_gap_ms']['p99'], 3)} | "
          f"{fmt(r['events_per_read'])} |")
    w("")
    w("## Memory")
    w("")
    w(f"- gearbox RSS idle (started, nothing served): {extra.get('rss_idle_kib', 0) / 1024:.1f} MB")
    w(f"- after all load cells above: {extra.get('rss_after_load_kib', 0) / 1024:.1f} MB")
    if "streams_open" in hold:
        w(f"- {hold['streams_open']:,} of {hold['streams_requested']:,} streams open at once through gearbox "
          f"(mock at 1 token/s; all open after {hold['all_open_after_ms']} ms; {hold['streams_failed']} failed): "
          f"RSS {hold['rss_kib_before'] / 1024:.1f} MB before, {hold['rss_kib_peak'] / 1024:.1f} MB peak, "
          f"{hold['rss_kib_after_close'] / 1024:.1f} MB after the clients closed")
    else:
        w(f"- open streams: failed: {hold.get('error', '')}")
    w(f"- after the streams closed (2 s later): {extra.get('rss_after_streams_kib', 0) / 1024:.1f} MB")
    w("")
    notes = LOAD / "NOTES.md"
    if notes.exists():
        lines.append(notes.read_text().rstrip())
    OUT.write_text("\n".join(lines) + "\n")
    (WORK / "results.json").write_text(json.dumps({"results": {"|".join(k): v for k, v in results.items()},
                                                   "extra": extra}, indent=1))


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in list(procs):
            stop(p)
