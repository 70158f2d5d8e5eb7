"""QUBO/HUBO characterization analysis of the embedded service (characterization.md §3).

Owns the service side of the characterization feature that does not touch HTTP. A submission
flows through these modules:

- :mod:`.submission` decodes and validates a ``submit_qubo`` body (the shared codecs of
  :mod:`pennylane_qoro.protocol.qubo`, the local limits of :mod:`.limits`), :mod:`.options`
  resolves its options (the shared schema of
  :mod:`pennylane_qoro.protocol.characterization_options`) into what the engine will do;
- :mod:`.engine` runs the stages on an :class:`~.state.AnalysisState`: :mod:`.structure`
  (graph, persistencies, certificates, with :mod:`.ising`), :mod:`.spectrum` (the exact tier),
  :mod:`.baseline` (greedy descent, annealing of :mod:`.heuristics`, bounds),
  :mod:`.references`, :mod:`.landscape` (p=1 QAOA with :mod:`.qaoa`), :mod:`.penalty` and
  :mod:`.hardness`; then :mod:`.recommendations` reads the finished response;
- :mod:`.html` renders the HTML fragment of a stored result.

Principle (§3.1): every number is a function of the submitted problem and a recorded seed. A
quantity that is not computed is ``None`` (JSON ``null``), never a placeholder; estimated
quantities say so.

The package imports numpy, scipy, networkx and ``pennylane_qoro.protocol``: no web framework,
no client code. The names below are what the service's routes, the benchmarks and the tests use.
"""

from __future__ import annotations

from .definitions import ENGINE, METHOD
from .engine import DEFAULT_TIME_BUDGET, analyze
from .errors import ProblemError, ProblemTooLargeError
from .html import render_html
from .options import Options, parse_options
from .polynomial import Polynomial, seed_for
from .recommendations import recommendations
from .spectrum import exact_energies
from .submission import (
    Submission,
    decode_factored,
    parse_legacy_qubo,
    parse_reference_states,
    parse_submission,
    parse_wire_qubo,
)

__all__ = [
    "DEFAULT_TIME_BUDGET",
    "ENGINE",
    "METHOD",
    "Options",
    "Polynomial",
    "ProblemError",
    "ProblemTooLargeError",
    "Submission",
    "analyze",
    "decode_factored",
    "exact_energies",
    "parse_legacy_qubo",
    "parse_options",
    "parse_reference_states",
    "parse_submission",
    "parse_wire_qubo",
    "recommendations",
    "render_html",
    "seed_for",
]
