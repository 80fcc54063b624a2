#!/usr/bin/env python3
"""Write data/router/pinned.jsonl: the shipped router's decisions (score, route at 0.5) on a
fixed sample of the repository's own labelled requests (every 4th line of
data/router/eval_multilingual.jsonl, every line of holdout_final.jsonl). Run after a retrain:

    python3 scripts/router/pin.py target/release/gearbox

tests/router.rs::shipped_model_decisions_are_pinned fails until the file matches the model."""
import json
import subprocess
import sys
import tempfile

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/gearbox"
rows = []
for path, every in (("data/router/eval_multilingual.jsonl", 4), ("data/router/holdout_final.jsonl", 1)):
    for n, line in enumerate(open(path, encoding="utf-8")):
        if line.strip() and n % every == 0:
            v = json.loads(line)
            rows.append({"id": v["id"], "request": v["request"]})
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
out = subprocess.run([binary, "route", "--input", f.name], check=True, capture_output=True, text=True)
scores = {}
for line in out.stdout.splitlines():
    d = json.loads(line)
    scores[d["id"]] = d["score"]
with open("data/router/pinned.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        s = scores[r["id"]]
        f.write(json.dumps({"id": r["id"], "route": "reasoning" if s >= 0.5 else "chat",
                            "score": round(s, 4), "request": r["request"]}, ensure_ascii=False) + "\n")
print(f"pinned {len(rows)} decisions")
