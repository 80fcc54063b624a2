#!/usr/bin/env python3
"""Write the reserved benchmarks' prompts to one JSONL file, used ONLY to drop near-duplicates of
them from the real-user sets (assemble_real_sets.py, extract/08); see data/router/README.md.

    python3 data/router/tools/build_public_eval.py MIRROR_DIR OUT.jsonl

MIRROR_DIR holds the `fetch` snapshots (MIRROR_DIR/OWNER+NAME/repo, a bare git directory) of
lm-sys/FastChat, lmarena/arena-hard-auto, openai/grade-school-math, openai/human-eval and
tatsu-lab/alpaca_eval. Files are read with `git show` / `git cat-file`; no fetched code is run.
One line per prompt, `{"id", "source", "request": {"messages": [{"role": "user", "content"}]}}`
(every MT-Bench turn on a line of its own; texts equal after collapsing whitespace kept once).
The output is fetched text: keep it out of the repository. Standard library only; deterministic.
"""
import collections
import gzip
import json
import subprocess
import sys


def git(mirror, repo, *args):
    cmd = ["git", "--git-dir", f"{mirror}/{repo}/repo", *args]
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def jsonl(data):
    return [json.loads(l) for l in data.decode("utf-8").split("\n") if l.strip()]


def main():
    mirror, out = sys.argv[1], sys.argv[2]
    rows, seen, counts = [], set(), collections.Counter()

    def add(src, rid, text):
        if not isinstance(text, str) or not text.strip():
            return
        counts[src] += 1
        key = " ".join(text.split())
        if key in seen:
            return
        seen.add(key)
        rows.append({"id": f"{src}-{rid}", "source": src, "request": {"messages": [{"role": "user", "content": text}]}})

    # MT-Bench: every turn of every question.
    for q in jsonl(git(mirror, "lm-sys+FastChat", "show", "0e6d3e4:fastchat/llm_judge/data/mt_bench/question.jsonl")):
        for i, t in enumerate(q["turns"], 1):
            add("mt-bench", f"{q['question_id']}-t{i}", t)
    # Arena-Hard: every version of every question.jsonl in the repository's history (all refs).
    ah = "lmarena+arena-hard-auto"
    blobs = {}
    for c in git(mirror, ah, "log", "--all", "--format=%H").decode().split():
        for ln in git(mirror, ah, "ls-tree", "-r", c).decode().splitlines():
            meta, path = ln.split("\t", 1)
            if path.endswith("question.jsonl"):
                blobs.setdefault(meta.split()[2], path)
    for sha, path in sorted(blobs.items(), key=lambda kv: (kv[1], kv[0])):
        ver = path.split("/")[-2]
        for q in jsonl(git(mirror, ah, "cat-file", "-p", sha)):
            qid = q.get("uid") or q.get("question_id")
            if "prompt" in q:
                add("arena-hard", f"{ver}-{qid}", q["prompt"])
            for i, t in enumerate(q.get("turns") or [], 1):
                add("arena-hard", f"{ver}-{qid}-t{i}", t["content"] if isinstance(t, dict) else t)
    # GSM8K: the whole test split.
    for i, q in enumerate(jsonl(git(mirror, "openai+grade-school-math", "show", "3101c7d:grade_school_math/data/test.jsonl"))):
        add("gsm8k-test", i, q["question"])
    # HumanEval: the 164 prompts.
    for q in jsonl(gzip.decompress(git(mirror, "openai+human-eval", "show", "6d43fb9:data/HumanEval.jsonl.gz"))):
        add("humaneval", q["task_id"].replace("/", "_"), q["prompt"])
    # AlpacaEval: the 805 evaluation instructions (the same 805 in 219 of the 227 readable
    # results/*/model_outputs.json; the others miss a few).
    ae = json.loads(git(mirror, "tatsu-lab+alpaca_eval", "show", "cd543a1:results/gpt4_1106_preview/model_outputs.json"))
    for i, q in enumerate(ae):
        add("alpacaeval", i, q["instruction"])

    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    kept = collections.Counter(r["source"] for r in rows)
    print(f"{len(rows)} prompts written; read {dict(counts)}; kept {dict(kept)}; arena-hard files {len(blobs)}")


if __name__ == "__main__":
    main()
