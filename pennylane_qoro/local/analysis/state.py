"""The shared state of one analysis run: what each stage leaves for the next, and the clock.

Owns :class:`AnalysisState` (the submission, the seeded generator and the intermediate arrays:
interaction edges, Ising form, exact energies, best-known state, ...) and :class:`Budget`
(optional stages are skipped, and reported, once the time budget is spent).

Imports numpy and this package's data types only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .heuristics import FieldBlock
from .ising import Ising
from .limits import EXACT_MAX_N
from .polynomial import Polynomial
from .submission import Submission


class Budget:
    """Stage gate: optional stages are skipped (and reported) once the deadline has passed."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.skipped: list[dict] = []
        self.timings: dict[str, float] = {}

    def run(self, stage: str, fn: Callable[[], Any], *, optional: bool = True) -> Any:
        if optional and time.monotonic() > self.deadline:
            self.skipped.append({"stage": stage, "reason": "time budget exhausted"})
            return None
        t = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[stage] = round(time.perf_counter() - t, 4)


@dataclass
class AnalysisState:
    """Intermediate results shared between the stages of one analysis.

    ``exact_max_n`` is the largest n analysed by full enumeration (the exact tier).
    """

    sub: Submission
    rng: np.random.Generator
    seed: int
    exact_max_n: int = EXACT_MAX_N
    edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    ising: Ising | None = None
    E: np.ndarray | None = None            # exact energies (exact tier)
    tau: float = 0.0
    ground: np.ndarray | None = None
    best_x: np.ndarray | None = None
    best_energy: float | None = None
    greedy_energies: np.ndarray | None = None
    full: FieldBlock | None = None          # dE/dx for all variables (built once)
    psi_probs: np.ndarray | None = None    # p=1 probabilities at the best angles (n <= 20)
    notes: list[str] = field(default_factory=list)

    @property
    def poly(self) -> Polynomial:
        return self.sub.problem

    @property
    def n(self) -> int:
        return self.sub.problem.n
