"""The ``shot_groups`` rule (qoro-api.md §3.3): ``[start, end, shots]`` triples tiling circuits.

An EXECUTE request may give each circuit its own shot count as ranges that tile the request's
circuits ``[0, n)`` exactly, in order, each non-empty and with ``shots > 0``. The client checks
the job-global triples before planning its uploads (and rebases them per chunk with
:func:`rebase_shot_groups`); the local service checks each request's chunk-local ones.

Imports the standard library, numpy and ``protocol.errors`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import PayloadError

__all__ = ["check_shot_groups", "rebase_shot_groups"]


def check_shot_groups(
    shot_groups: Sequence[Sequence[int]], n: int, *, max_shots: int | None = None
) -> list[tuple[int, int, int]]:
    """The triples as ``(start, end, shots)``, checked to tile ``[0, n)`` exactly (§3.3).

    Args:
        shot_groups (Sequence[Sequence[int]]): ``[start, end, shots]`` triples.
        n (int): the number of circuits they must cover.
        max_shots (int | None): the largest shot count a triple may carry (None: no limit).

    Returns:
        list[tuple[int, int, int]]: the triples as Python ints.

    Raises:
        PayloadError: a triple that is not three integers, breaks the tiling (a gap, an
            overlap, an empty range), has ``shots <= 0`` or over ``max_shots``, or ranges that
            do not end at ``n``. Every message starts with ``shot_groups``.

    >>> check_shot_groups([[0, 2, 100], [2, 3, 10]], 3)
    [(0, 2, 100), (2, 3, 10)]
    """
    out = []
    expect = 0
    for k, triple in enumerate(shot_groups):
        if len(triple) != 3 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in triple
        ):
            raise PayloadError(f"shot_groups[{k}] = {triple!r} is not three integers")
        s, e, shots = (int(v) for v in triple)
        if s != expect or e <= s or shots <= 0:
            raise PayloadError(
                f"shot_groups[{k}] = {[s, e, shots]} breaks the exact tiling of [0, {n}) "
                f"(expected start {expect}, start < end, shots > 0)"
            )
        if max_shots is not None and shots > max_shots:
            raise PayloadError(f"shot_groups[{k}] = {[s, e, shots]} has over {max_shots} shots")
        out.append((s, e, shots))
        expect = e
    if expect != n:
        raise PayloadError(f"shot_groups cover [0, {expect}) but there are {n} circuits")
    return out


def rebase_shot_groups(groups: Sequence[tuple[int, int, int]], lo: int, hi: int) -> list[list[int]]:
    """Intersect job-global ranges with the chunk ``[lo, hi)`` and rebase them to 0 (§3.3).

    >>> rebase_shot_groups([(0, 2, 100), (2, 5, 10)], 1, 4)
    [[0, 1, 100], [1, 3, 10]]
    """
    out = []
    for s, e, shots in groups:
        a, b = max(s, lo), min(e, hi)
        if a < b:
            out.append([a - lo, b - lo, shots])
    return out
