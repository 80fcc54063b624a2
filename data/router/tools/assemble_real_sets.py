#!/usr/bin/env python3
"""Assemble the real-user routing data (outside the repository) from the fetched snapshots'
extracted prompts and the labels assigned to them; see data/router/README.md.

Inputs (not committed: fetched public data stays out of the repository):
  RAW/prompts*.jsonl      prompts extracted from the snapshots listed in data/router/README.md
  LABELS/chunk*.labels.jsonl   one {"id", "label"} per prompt (chat | reasoning | skip)
  LABELS/code_review.labels.jsonl   second-pass labels of programming requests (override)
  EVAL/public.jsonl       the reserved public benchmarks (only used to drop near-duplicates)
Outputs, in OUT/:
  real_train.jsonl        training sources
  real_heldout.jsonl      sources kept for evaluation only (never trained on)
Standard library only; deterministic.
"""
import json
import re
import sys
from pathlib import Path

# Sources whose licence keeps them out of training (non-commercial, no-derivatives, or
# no redistribution): used for evaluation only, which is also what makes them a clean
# "sources disjoint from training" development set.
HELDOUT = {"instructionwild", "instructionwild-zh", "kochatgpt-seed", "lmsys-chat-1m-sample"}
# Sources whose kind fixes the label (the whole source is one kind of request).
SOURCE_LABEL = {"msvamp": "reasoning", "xsid": "chat"}


def text_of(req):
    out = []
    for m in req.get("messages", []):
        c = m.get("content")
        if isinstance(c, str):
            out.append(c)
        elif isinstance(c, list):
            out.extend(p.get("text", "") for p in c if isinstance(p, dict))
    return "\n".join(out)


def last_user(req):
    for m in reversed(req.get("messages", [])):
        if m.get("role") == "user":
            c = m.get("content")
            return c if isinstance(c, str) else text_of({"messages": [m]})
    return ""


def shingles(text):
    t = re.sub(r"\s+", " ", text.lower()).strip()
    words = t.split(" ")
    if len(words) >= 12:
        return {" ".join(words[i : i + 8]) for i in range(len(words) - 7)}
    return {t[i : i + 12] for i in range(max(1, len(t) - 11))}


def main():
    raw, labels_dir, eval_pub, out = map(Path, sys.argv[1:5])
    labels = {}
    for f in sorted(labels_dir.glob("chunk*.labels.jsonl")):
        for line in f.open(encoding="utf-8"):
            d = json.loads(line)
            labels[d["id"]] = d["label"]
    # A second pass over programming requests under the stricter code rule (data/router/README.md)
    # overrides the first pass.
    review = labels_dir / "code_review.labels.jsonl"
    if review.exists():
        for line in review.open(encoding="utf-8"):
            d = json.loads(line)
            labels[d["id"]] = d["label"]
    bench = [shingles(last_user(json.loads(l)["request"])) for l in eval_pub.open(encoding="utf-8")]
    index = {}
    for k, sh in enumerate(bench):
        for s in sh:
            index.setdefault(s, []).append(k)
    train, held, dropped_dup, unlabelled = [], [], 0, 0
    lines = [l for f in sorted(raw.glob("prompts*.jsonl")) for l in f.open(encoding="utf-8")]
    for line in lines:
        r = json.loads(line)
        label = SOURCE_LABEL.get(r["source"]) or labels.get(r["id"])
        if label is None:
            unlabelled += 1
            continue
        if label == "skip":
            continue
        sh = shingles(last_user(r["request"]))
        hits = {}
        for s in sh:
            for k in index.get(s, ()):
                hits[k] = hits.get(k, 0) + 1
        if any(n * 2 >= min(len(sh), len(bench[k])) for k, n in hits.items()):
            dropped_dup += 1
            continue
        row = {"id": r["id"], "label": label, "source": r["source"], "lang": r["lang"], "request": r["request"]}
        (held if r["source"] in HELDOUT else train).append(row)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("real_train.jsonl", train), ("real_heldout.jsonl", held)):
        with (out / name).open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"train {len(train)}, heldout {len(held)}, near-duplicates of reserved benchmarks dropped {dropped_dup}, unlabelled {unlabelled}")


if __name__ == "__main__":
    main()
