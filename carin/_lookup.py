"""Exact vectorised look-ups of value tuples: hashing with confirmation.

A tuple of float64 columns is reduced to one 64-bit key (the columns' bit
patterns mixed together, ``-0.0`` counted as ``0.0``). Equal tuples always get
equal keys; unequal tuples almost never do, and callers that need exactness
confirm each hit on the values themselves. A :class:`KeyTable` finds every row
holding a key in O(1) per query (a direct-addressed table whose size is grown
until no two distinct keys share a slot), far faster than a binary search.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tuple_keys", "KeyTable"]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MAX_SLOTS = 1 << 26


def tuple_keys(cols: list[np.ndarray]) -> np.ndarray:
    """One uint64 key per tuple of ``cols`` (arrays broadcast together)."""
    shape = np.broadcast_shapes(*(np.shape(c) for c in cols))
    h = np.zeros(shape, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j, c in enumerate(cols):
            bits = (np.asarray(c, dtype=np.float64) + 0.0).view(np.uint64)
            h = (h ^ bits) * (_MIX + np.uint64(2 * j))
            h ^= h >> np.uint64(29)
    return h


class KeyTable:
    """Where each key of an array sits: every position holding a key, found in O(1).

    Distinct keys are spread over about twice as many buckets by their low bits; a
    query looks at the few keys of its bucket (a short vectorised loop).

    Args:
        keys: 1-D uint64 keys (e.g. from :func:`tuple_keys`).
    """

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.uint64)
        self.order = np.argsort(keys, kind="stable")
        ranked = keys[self.order]
        first = np.ones(len(ranked), dtype=bool)  # where each distinct key starts
        first[1:] = ranked[1:] != ranked[:-1]
        start = np.flatnonzero(first)
        uniq = ranked[start]
        count = np.diff(np.append(start, len(ranked)))
        size = 1 << max(4, int(2 * len(uniq)).bit_length())
        self.mask = np.uint64(size - 1)
        bucket = _bucket(uniq, self.mask)
        by_bucket = np.argsort(bucket, kind="stable")
        self.keys = uniq[by_bucket]
        self.start = start[by_bucket]
        self.count = count[by_bucket]
        self.bucket_start = np.searchsorted(bucket[by_bucket], np.arange(size + 1))
        sizes = np.diff(self.bucket_start)
        self.deepest = int(sizes.max(initial=0))

    def find(self, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(first, n)`` per wanted key: its positions are ``order[first : first + n]``."""
        want = np.asarray(want, dtype=np.uint64)
        first = np.zeros(want.shape, dtype=np.int64)
        n = np.zeros(want.shape, dtype=np.int64)
        if not len(self.keys):
            return first, n
        b = _bucket(want, self.mask).astype(np.int64)
        lo, hi = self.bucket_start[b], self.bucket_start[b + 1]
        # each round looks at the next key of the bucket of every query not yet resolved
        live = np.flatnonzero(lo < hi)
        while len(live):
            at = lo[live]
            hit = self.keys[at] == want[live]
            first[live[hit]] = self.start[at[hit]]
            n[live[hit]] = self.count[at[hit]]
            live = live[~hit]
            lo[live] += 1
            live = live[lo[live] < hi[live]]
        return first, n

    def matches(self, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every ``(query, position)`` pair whose keys are equal, queries flattened."""
        first, n = self.find(np.ravel(want))
        query = np.repeat(np.arange(len(n)), n)
        offset = np.arange(len(query)) - np.repeat(np.cumsum(n) - n, n)
        return query, self.order[np.repeat(first, n) + offset]


def _bucket(keys: np.ndarray, mask: np.uint64) -> np.ndarray:
    return (keys ^ (keys >> np.uint64(33))) & mask
