"""A real Prometheus scrapes a gateway under a short mixed load; every dashboard expression and
the left-hand side of every alert rule must evaluate and return data. promtool checks the rules
and the exposition format."""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import openai
import pytest
from openai import OpenAI

from conftest import ROOT, _start

DASHBOARD = os.path.join(ROOT, "dashboards", "gearbox.json")
ALERTS = os.path.join(ROOT, "dashboards", "alerts.yml")
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def post_json(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


@pytest.fixture(scope="module")
def observed():
    assert PROMETHEUS and PROMTOOL, "prometheus and promtool are required (.ci/run installs the Debian package)"
    mock, mock_addr = _start(["mock", "--listen", "127.0.0.1:0", "--tokens-per-sec", "400"])
    keys = {"web": "web-key", "batch": "batch-key", "shadowy": "shadow-key", "tight": "tight-key", "frugal": "frugal-key"}
    teams = ""
    for team, key in keys.items():
        teams += f'[[teams.{team}.keys]]\nsha256 = "{hashlib.sha256(key.encode()).hexdigest()}"\n'
    teams += '[teams.shadowy.policy]\nmode = "shadow"\nrouted_models = ["auto", "gpt-4o-mini"]\n'
    teams += '[teams.tight.policy.limits]\nrpm = 2\n'
    teams += '[teams.frugal.policy.budget]\ntokens_per_day = 10\n'
    keys["fallback"] = "fallback-key"
    teams += f'[[teams.fallback.keys]]\nsha256 = "{hashlib.sha256(b"fallback-key").hexdigest()}"\n'
    teams += '[teams.fallback.policy]\nreasoning_model = "o1"\n'
    cfg = f"""
[server]
listen = "127.0.0.1:0"
[auth]
mode = "keys"
[upstreams.mock]
base_url = "http://{mock_addr}/v1"
request_timeout = "5s"
[models."gpt-4o-mini"]
upstream = "mock"
price = {{ input = 0.15, output = 0.60 }}
[models."o3-mini"]
upstream = "mock"
kind = "reasoning"
price = {{ input = 1.10, output = 4.40 }}
[upstreams.down]
base_url = "http://127.0.0.1:{free_port()}/v1"
connect_timeout = "200ms"
[models."o1"]
upstream = "down"
kind = "reasoning"
[resilience]
backoff_base = "1ms"
[models."text-embedding-3-small"]
upstream = "mock"
kind = "embedding"
[policy]
routed_models = ["auto"]
# Small background bounds, so the load fills a queue.
[responses]
background_max_queued = 2
background_max_running = 1
{teams}
"""
    tmp = tempfile.mkdtemp(prefix="gearbox-prom-")
    cfg_path = os.path.join(tmp, "gearbox.toml")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    gw, gw_addr = _start(["serve", "--config", cfg_path])
    prom_port = free_port()
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {ALERTS}\n"
            "scrape_configs:\n  - job_name: gearbox\n    static_configs:\n"
            f"      - targets: ['{gw_addr}']\n"
        )
    prom = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={os.path.join(tmp, 'prometheus.yml')}",
            f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{prom_port}/api/v1"
    try:
        # Ready when the gateway target has been scraped once.
        deadline = time.time() + 60
        while True:
            try:
                up = get_json(f"{api}/query?query=" + urllib.parse.quote('up{job="gearbox"}'))
                if up["data"]["result"] and up["data"]["result"][0]["value"][1] == "1":
                    break
            except OSError:
                pass
            assert time.time() < deadline, "Prometheus never scraped the gateway"
            time.sleep(0.3)
        drive_load(gw_addr, mock_addr, keys)
        time.sleep(3.5)  # at least two more scrapes after the load, so rates are defined
        yield {"api": api, "gateway": gw_addr}
    finally:
        for p in (prom, gw, mock):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def drive_load(gw_addr, mock_addr, keys):
    """A short mix: plain and streamed chat, routed easy and hard asks, a shadow team, a
    chain-of-thought prompt for the reasoning model, cache hits, gateway and upstream errors,
    embeddings, the Responses API (plain, streamed, failing) and background jobs that complete,
    fail, are cancelled and are refused at a full queue."""
    base = f"http://{gw_addr}/v1"
    clients = {t: OpenAI(base_url=base, api_key=k, max_retries=0) for t, k in keys.items()}
    web, batch, shadow = clients["web"], clients["batch"], clients["shadowy"]
    tight, frugal, fallback = clients["tight"], clients["frugal"], clients["fallback"]
    schema = {"type": "json_schema", "json_schema": {"name": "Answer", "strict": True, "schema": {
        "type": "object", "properties": {"answer": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["answer", "score"], "additionalProperties": False}}}
    for round_ in range(3):
        for i in range(4):
            web.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"hello {round_} {i}"}])
        web.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "cached please"}], temperature=0)
        for _ in web.chat.completions.create(
            model="gpt-4o-mini", stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": f"stream {round_}"}], temperature=0.5,
        ):
            pass
        batch.chat.completions.create(model="auto", messages=[{"role": "user", "content": f"thanks, see you {round_}!"}])
        batch.chat.completions.create(
            model="auto",
            messages=[
                {"role": "system", "content": "You are a world-class expert. Think step by step."},
                {"role": "user", "content": f"Prove that the sum of the first {round_ + 5} odd numbers is a perfect square. Let's think step by step."},
            ],
        )
        shadow.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"Find the bug: def f(x): return x / 0  # run {round_}"}])
        web.embeddings.create(model="text-embedding-3-small", input=[f"embed {round_}"])
        web.chat.completions.create(model="gpt-4o-mini", response_format=schema, messages=[{"role": "user", "content": f"structured {round_}"}])
        post_json(f"http://{mock_addr}/mock/faults", {"kind": "invalid_output", "count": 1})
        web.chat.completions.create(model="gpt-4o-mini", response_format=schema, messages=[{"role": "user", "content": f"repaired {round_}"}])
        post_json(f"http://{mock_addr}/mock/faults", {"kind": "invalid_output", "count": 2})
        try:
            web.chat.completions.create(model="gpt-4o-mini", response_format=schema, messages=[{"role": "user", "content": f"hopeless {round_}"}])
        except Exception:
            pass
        # The fallback team's reasoning target is down: retried, then served by the chat target.
        fallback.chat.completions.create(model="auto", messages=[{"role": "user", "content": f"Prove that {round_ + 7} is prime, rigorously."}])
        for i in range(3):
            for client in (tight, frugal):
                try:
                    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"limited {round_} {i}"}])
                except Exception:
                    pass
        try:
            web.chat.completions.create(model=f"no-such-model-{round_}", messages=[{"role": "user", "content": "x"}])
        except Exception:
            pass
        web.responses.create(model="gpt-4o-mini", input=f"responses {round_}")
        for _ in web.responses.create(model="gpt-4o-mini", input=f"responses stream {round_}", stream=True):
            pass
        try:
            web.responses.create(model="o1", input=f"to the upstream that is down {round_}")
        except Exception:
            pass
        for fault in ({"kind": "status", "status": 503}, {"kind": "reset"}):
            post_json(f"http://{mock_addr}/mock/faults", fault)
            try:
                web.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"fault {fault['kind']} {round_}"}])
            except Exception:
                pass
        time.sleep(1.0)
    drive_background(web, mock_addr)


def drive_background(web, mock_addr):
    """One job holds the team's only running slot (the mock stalls it); more are queued until
    the queue (2) is full and one is refused; a queued one is cancelled; one fails (its upstream
    is down). Returns when all have ended."""
    post_json(f"http://{mock_addr}/mock/faults", {"kind": "stall", "ms": 6000, "count": 1, "model": "gpt-4o-mini"})
    jobs = [web.responses.create(model="gpt-4o-mini", input="background 0", background=True)]
    refused = False
    for i in range(1, 6):
        try:
            jobs.append(web.responses.create(model="gpt-4o-mini", input=f"background {i}", background=True))
        except openai.RateLimitError:
            refused = True
            break
    assert refused, "the background queue never filled"
    cancelled = web.responses.cancel(jobs[-1].id)
    assert cancelled.status == "cancelled", cancelled
    jobs.append(web.responses.create(model="o1", input="background to the upstream that is down", background=True))
    deadline = time.time() + 30
    ended = {}
    while len(ended) < len(jobs):
        assert time.time() < deadline, f"background jobs did not end: {ended}"
        for j in jobs:
            status = web.responses.retrieve(j.id).status
            if status not in ("queued", "in_progress"):
                ended[j.id] = status
        time.sleep(0.1)
    assert sorted(set(ended.values())) == ["cancelled", "completed", "failed"], ended


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    out = []
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            out.append((panel["title"], t["expr"]))
    return out


def alert_lhs():
    """Each alert's expression without its final threshold comparison."""
    out = []
    with open(ALERTS) as f:
        for line in f:
            m = re.match(r"\s+- alert: (\S+)", line)
            if m:
                name = m.group(1)
            m = re.match(r"\s+expr: (.*)$", line)
            if m:
                expr = m.group(1).strip()
                lhs = re.split(r"\s(?:>|<|>=|<=|==|!=)\s+[0-9.e+-]+\s*$", expr)[0]
                assert lhs != expr, f"alert {name}: expected `<query> <op> <threshold>`"
                out.append((name, lhs))
    return out


def grafana_to_promql(expr):
    return (
        expr.replace("$__rate_interval", "1m")
        .replace('"$team"', '".*"')
        .replace('"$model"', '".*"')
    )


def query(api, expr):
    return get_json(f"{api}/query?query=" + urllib.parse.quote(expr))


def test_every_dashboard_expression_returns_data(observed):
    exprs = dashboard_exprs()
    assert len(exprs) >= 20
    empty = []
    for title, expr in exprs:
        r = query(observed["api"], grafana_to_promql(expr))
        assert r["status"] == "success", f"{title}: {r}"
        values = [s["value"][1] for s in r["data"]["result"]]
        if not values or all(v in ("NaN", "+Inf", "-Inf") for v in values):
            empty.append(f"{title}: {expr} -> {values}")
    assert not empty, "queries without data:\n" + "\n".join(empty)


def test_every_alert_expression_returns_data(observed):
    rules = alert_lhs()
    assert len(rules) >= 5
    for name, lhs in rules:
        r = query(observed["api"], lhs)
        assert r["status"] == "success", f"{name}: {r}"
        assert r["data"]["result"], f"{name}: no data for {lhs}"
    # Prometheus loaded the same file without errors.
    groups = get_json(f"{observed['api']}/rules")["data"]["groups"]
    assert sum(len(g["rules"]) for g in groups) == len(rules)
    assert all(rule["health"] == "ok" for g in groups for rule in g["rules"])


def test_promtool_accepts_rules_and_metrics(observed):
    subprocess.run([PROMTOOL, "check", "rules", ALERTS], check=True, capture_output=True)
    with urllib.request.urlopen(f"http://{observed['gateway']}/metrics", timeout=10) as r:
        text = r.read()
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True)
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()
