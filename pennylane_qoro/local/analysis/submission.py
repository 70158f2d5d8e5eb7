"""A ``submit_qubo`` body, decoded and validated within the local limits (characterization.md
§1.4-1.7, §2.14, §3.13).

Owns :func:`parse_submission` and its parts: the ``qubo`` field in either wire form (read by the
shared codecs of :mod:`pennylane_qoro.protocol.qubo`, a located error becomes a 400
:class:`~.errors.ProblemError` naming the same field), the reference states (``target_states``
is the seed's alias), the width checks of the options and the penalty split's parts.

Imports numpy, ``protocol`` and this package: no web framework, no client code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...protocol.characterization_options import check_width
from ...protocol.polynomial import BITSTRING, TooManyTermsError, terms_from_matrix
from ...protocol.qubo import FACTORED_FORMAT, decode_factored_qubo, decode_legacy_qubo
from .errors import ProblemError, ProblemTooLargeError, located
from .limits import MAX_DEGREE, MAX_TERMS, MAX_VARIABLES
from .options import Options, parse_options
from .polynomial import Polynomial

Terms = dict[tuple[int, ...], float]


def parse_legacy_qubo(
    qubo: Mapping[str, Any], *, field_name: str = "qubo"
) -> tuple[int, Terms, float]:
    """Parse a comma-key dict into (inferred n, terms, constant) within the local limits.

    The shared decoder reads it (``"i"`` and ``"i,i"`` are the linear term, keys in any order,
    permutations add up, the seed's empty key is a constant, §1.4); this adds the size limits.
    """
    with located():
        terms = decode_legacy_qubo(qubo, name=field_name)
    constant = terms.pop((), 0.0)
    top = -1
    for idx in terms:
        where = f"{field_name}[{','.join(map(str, idx))!r}]"
        if idx[-1] >= MAX_VARIABLES:
            raise ProblemTooLargeError(
                where, f"index {idx[-1]} exceeds the local limit of {MAX_VARIABLES} variables"
            )
        if len(idx) > MAX_DEGREE:
            raise ProblemTooLargeError(where, f"degree {len(idx)} exceeds {MAX_DEGREE}")
        top = max(top, idx[-1])
    if len(terms) > MAX_TERMS:
        raise ProblemTooLargeError(field_name, f"{len(terms)} terms exceed the limit {MAX_TERMS}")
    return top + 1, terms, constant


def decode_factored(envelope: Mapping[str, Any], *, field_name: str = "qubo") -> np.ndarray:
    """Decode ``factored_v1`` to Q within the local limits (the shared decoder, §1.5).

    ``n`` is bounded first: the decoded matrix takes 8 n^2 bytes, while the payload that
    declares it takes only 16 n.
    """
    n = envelope.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and n > MAX_VARIABLES:
        raise ProblemTooLargeError(f"{field_name}.n", f"{n} exceeds the limit {MAX_VARIABLES}")
    with located():
        return decode_factored_qubo(envelope, name=field_name)


def parse_wire_qubo(qubo: Any, *, field_name: str = "qubo") -> tuple[int, Terms, float, str]:
    """Parse either wire form into (inferred n, terms, constant, encoding name)."""
    if not isinstance(qubo, dict):
        raise ProblemError(field_name, "must be a JSON object")
    if "_format" in qubo:  # its presence is what tells the two forms apart (§1.5)
        Q = decode_factored(qubo, field_name=field_name)
        try:  # the shared x^T Q x reading (§3.2), tiny noise dropped
            terms = terms_from_matrix(Q, max_pairs=MAX_TERMS)
        except TooManyTermsError as exc:
            raise ProblemTooLargeError("qubo", str(exc)) from None
        return Q.shape[0], terms, 0.0, FACTORED_FORMAT
    n, terms, constant = parse_legacy_qubo(qubo, field_name=field_name)
    return n, terms, constant, "legacy"


def parse_reference_states(states: Any, n: int) -> tuple[str, ...]:
    """Validate reference bitstrings: a list of ``[01]+`` strings, each n wide."""
    if states is None:
        return ()
    if not isinstance(states, list):
        raise ProblemError("reference_states", "must be a list of bitstrings")
    for i, s in enumerate(states):
        if not isinstance(s, str) or not BITSTRING.fullmatch(s):
            raise ProblemError(f"reference_states[{i}]", "must be a non-empty string of 0 and 1")
        if len(s) != n:
            raise ProblemError(f"reference_states[{i}]", f"has {len(s)} bits; expected {n}")
    return tuple(dict.fromkeys(states))


@dataclass(frozen=True)
class Submission:
    """A validated ``submit_qubo`` body."""

    problem: Polynomial
    references: tuple[str, ...]
    options: Options
    encoding: str
    cost: Polynomial | None = None
    penalty: Polynomial | None = None
    wire_constant: float = 0.0
    notes: tuple[str, ...] = field(default=())


def _component(wire: dict, name: str, n: int) -> Polynomial:
    m, terms, constant = parse_legacy_qubo(wire, field_name=f"options.{name}")
    if m > n:
        raise ProblemError(f"options.{name}", f"uses index {m - 1} beyond n={n}")
    return Polynomial.from_terms(n, terms, constant)


def _width(inferred: int, options: Options) -> int:
    """n: the qubo's inferred width, or ``options.n_qubits`` when it pins a larger one."""
    if options.n_qubits is None:
        return inferred
    if options.n_qubits < inferred:
        raise ProblemError(
            "options.n_qubits", f"{options.n_qubits} < {inferred} variables in the qubo"
        )
    return options.n_qubits


def _references(body: dict, n: int, notes: list[str]) -> tuple[str, ...]:
    refs_raw = body.get("reference_states")
    if "target_states" in body:  # the seed's name (§0): accepted as an alias
        if refs_raw is not None and body["target_states"] != refs_raw:
            raise ProblemError("target_states", "conflicts with reference_states")
        refs_raw = body["target_states"]
        notes.append("target_states read as reference_states")
    return parse_reference_states(refs_raw, n)


def parse_submission(body: Any, *, compat_seed: bool = False) -> Submission:
    """Validate a whole ``submit_qubo`` body (§2.14, §3.13); raises :class:`ProblemError`."""
    if not isinstance(body, dict):
        raise ProblemError("body", "must be a JSON object")
    extra = set(body) - {"qubo", "reference_states", "target_states", "options"}
    if extra:
        raise ProblemError("body", f"unknown keys {sorted(extra)}")
    if body.get("qubo") in (None, {}):
        raise ProblemError("qubo", "is missing or empty")
    options = parse_options(body.get("options"), compat_seed=compat_seed)
    inferred, terms, constant, encoding = parse_wire_qubo(body["qubo"])
    if not any(v != 0.0 for v in terms.values()):
        raise ProblemError("qubo", "has no non-zero non-constant term")
    n = _width(inferred, options)
    notes = list(options.notes)
    references = _references(body, n, notes)
    with located():
        check_width({"constraints": options.constraints, "subspace": options.subspace}, n)
    cost = penalty = None
    if options.penalty_tuning:
        cost = _component(options.cost_qubo or {}, "cost_qubo", n)
        penalty = _component(options.penalty_qubo or {}, "penalty_qubo", n)
        if penalty.n_terms == 0:
            raise ProblemError("options.penalty_qubo", "has no non-zero term")
    problem = Polynomial.from_terms(n, terms, constant)
    return Submission(problem=problem, references=references, options=options,
                      encoding=encoding, cost=cost, penalty=penalty, wire_constant=constant,
                      notes=tuple(notes))
