"""QUBO/HUBO characterization analysis of the embedded service (characterization.md §3).

Owns the service side of the characterization feature that does not touch HTTP:

- parsing and validating a ``submit_qubo`` body (characterization.md §1.4-1.7, §3.13): the
  service's limits and meaning on top of the shared ``client/wire.py`` codecs of the legacy
  comma-key dict and the ``factored_v1`` envelope (design rule 2: the bytes are read there,
  a :class:`~pennylane_qoro.client.errors.WireFieldError` becomes a 400 :class:`ProblemError`
  naming the same field), the options (current vocabulary, plus the seed's keys behind a
  compatibility switch), reference states (``target_states`` alias);
- the numerical core: exact energy spectrum by vectorised enumeration (half-split GEMM, chunked),
  seeded greedy descent and simulated annealing above the exact tier, the LP (McCormick)
  relaxation bound, structure metrics, persistencies, certificates, the Walsh/Ising form and the
  closed-form p=1 QAOA expectation (§3.2-3.9).

:mod:`.analysis_report` turns these numbers into the response of §2 (hardness, report,
recommendations) and :mod:`.analysis_html` renders the HTML fragment.

Principle (§3.1): every number is a function of the submitted problem and a recorded seed. A
quantity that is not computed is ``None`` (JSON ``null``), never a placeholder; estimated
quantities say so.

This module imports numpy, scipy and networkx, and from the client only ``client/wire.py`` and
``client/errors.py``: no web framework, no HTTP client code.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..client.errors import WireFieldError
from ..client.wire import (
    FACTORED_FORMAT,
    decode_factored_qubo,
    decode_json_number,
    decode_legacy_qubo,
)

# ----------------------------------------------------------------------------------------------
# Limits (one place). The service answers 400 above the size limits (characterization.md §3.13).
# ----------------------------------------------------------------------------------------------
MAX_VARIABLES = 4096          # largest n the local engine analyses
MAX_TERMS = 400_000           # largest number of non-constant terms
MAX_DEGREE = 16               # largest monomial degree
EXACT_MAX_N = 22              # exact tier: full 2^n spectrum (32 MiB of float64 at n = 22)
STATEVECTOR_MAX_N = 20        # p=1 QAOA statevector (probabilities, HUBO landscape)
WALSH_MAX_WORK = 2_000_000    # sum over terms of 2^degree for the HUBO Walsh expansion
LP_MAX_PAIRS = 10_000         # McCormick LP size limit (HiGHS needs ~7 s at 20 000 pairs)
CLOSED_FORM_MAX_ENTRIES = 20_000_000  # closed-form QAOA: neighbourhood entries held in memory
DENSE_FIELD_MAX_N = 1024      # QUBOs up to this size use a dense coupling matrix (8 MiB)
PRESETS = ("fast", "standard", "deep")

_BITS_RE = re.compile(r"[01]+")


class ProblemError(ValueError):
    """A submission is malformed; ``field`` names the offending field (400 body)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}")


class ProblemTooLargeError(ProblemError):
    """The problem is beyond the local engine's size limits."""


# ----------------------------------------------------------------------------------------------
# Canonical polynomial
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Polynomial:
    """E(x) = constant + sum_i linear[i] x_i + sum over groups of coef * prod_{k} x_{idx[k]}.

    ``groups`` holds one ``(idx, coef)`` pair per degree >= 2 (ascending), ``idx`` of shape
    (m, d) with strictly ascending rows, no duplicate rows, no zero coefficients.
    """

    n: int
    constant: float
    linear: np.ndarray
    groups: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def from_terms(
        n: int, terms: Mapping[tuple[int, ...], float], constant: float = 0.0
    ) -> Polynomial:
        """Build from ``{ascending index tuple: coefficient}`` (zeros dropped)."""
        linear = np.zeros(n)
        by_degree: dict[int, list[tuple[tuple[int, ...], float]]] = {}
        for key, c in terms.items():
            if c == 0.0:
                continue
            if len(key) == 1:
                linear[key[0]] += c
            else:
                by_degree.setdefault(len(key), []).append((key, c))
        groups = []
        for d in sorted(by_degree):
            rows = by_degree[d]
            idx = np.array([k for k, _ in rows], dtype=np.int64).reshape(len(rows), d)
            coef = np.array([c for _, c in rows], dtype=np.float64)
            groups.append((idx, coef))
        return Polynomial(n=n, constant=float(constant), linear=linear, groups=tuple(groups))

    @property
    def degree(self) -> int:
        """Largest monomial degree (1 for a purely linear problem)."""
        return self.groups[-1][0].shape[1] if self.groups else 1

    @property
    def is_quadratic(self) -> bool:
        return self.degree <= 2

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(idx (m, 2), coef (m,)) of the quadratic terms (empty arrays when none)."""
        for idx, coef in self.groups:
            if idx.shape[1] == 2:
                return idx, coef
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)

    @property
    def n_terms(self) -> int:
        return int(np.count_nonzero(self.linear)) + sum(len(c) for _, c in self.groups)

    def terms_by_degree(self) -> dict[int, int]:
        out = {1: int(np.count_nonzero(self.linear))}
        for idx, coef in self.groups:
            out[idx.shape[1]] = len(coef)
        return {d: k for d, k in out.items() if k}

    def coefficients(self) -> np.ndarray:
        """All non-zero non-constant coefficients."""
        parts = [self.linear[self.linear != 0.0]] + [c for _, c in self.groups]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _upper(self) -> np.ndarray | sp.csr_matrix:
        """U with U[i, j] = b_ij (i < j): dense up to ``DENSE_FIELD_MAX_N``, else CSR."""
        if "upper" not in self._cache:
            pidx, pw = self.pairs
            U = sp.csr_matrix((pw, (pidx[:, 0], pidx[:, 1])), shape=(self.n, self.n))
            self._cache["upper"] = U.toarray() if self.n <= DENSE_FIELD_MAX_N else U
        return self._cache["upper"]

    def energies(self, X: np.ndarray) -> np.ndarray:
        """Energies of the 0/1 rows of ``X`` (shape (R, n)).

        A QUBO is one product with its upper coupling matrix, sum((X U) * X); a HUBO is
        evaluated term group by term group, chunked over terms.
        """
        X = np.asarray(X, dtype=np.float64)
        out = self.constant + X @ self.linear
        if self.is_quadratic:
            if self.groups:
                U = self._upper()
                XU = X @ U if isinstance(U, np.ndarray) else (U.T @ X.T).T
                out += np.einsum("ij,ij->i", XU, X)
            return out
        for idx, coef in self.groups:
            for start in range(0, len(coef), 4096):
                sl = slice(start, start + 4096)
                out += X[:, idx[sl]].prod(axis=2) @ coef[sl]
        return out

    def energy_of(self, bits: str) -> float:
        """Energy of one bitstring (character i = variable i)."""
        x = np.frombuffer(bits.encode(), dtype=np.uint8) - ord("0")
        return float(self.energies(x[None, :].astype(np.float64))[0])

    def negated(self) -> Polynomial:
        return Polynomial(
            n=self.n,
            constant=-self.constant,
            linear=-self.linear,
            groups=tuple((i, -c) for i, c in self.groups),
        )

    def canonical_json(self) -> str:
        """Deterministic text of the problem (hash input for seeds and the cache).

        Coefficients are written to 12 significant digits, so encodings that differ only by
        round-off (``factored_v1`` versus the legacy dict) give the same seed and results.
        """
        def r(c: float) -> str:
            return f"{c:.12g}"

        items: list[Any] = [[[i], r(c)] for i, c in enumerate(self.linear) if c != 0.0]
        for idx, coef in self.groups:
            items.extend([row.tolist(), r(c)] for row, c in zip(idx, coef, strict=True))
        return json.dumps({"n": self.n, "c": r(self.constant), "t": items},
                          separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Wire parsing (characterization.md §1.4, §1.5, §3.2)
# ----------------------------------------------------------------------------------------------
def _decoded(decode: Callable[..., Any], payload: Any, field_name: str) -> Any:
    """Run a shared wire decoder; its located error becomes the 400 :class:`ProblemError`."""
    try:
        return decode(payload, name=field_name)
    except WireFieldError as exc:
        raise ProblemError(exc.field, exc.detail) from None


def _number(value: Any, where: str) -> float:
    """A finite JSON number (the shared coefficient rule), else a 400 naming ``where``."""
    return _decoded(decode_json_number, value, where)


def parse_legacy_qubo(
    qubo: Mapping[str, Any], *, field_name: str = "qubo"
) -> tuple[int, dict[tuple[int, ...], float], float]:
    """Parse a comma-key dict into (inferred n, terms, constant) within the local limits.

    The shared decoder reads it (``"i"`` and ``"i,i"`` are the linear term, keys in any order,
    permutations add up, the seed's empty key is a constant, §1.4); this adds the size limits.
    """
    terms = _decoded(decode_legacy_qubo, qubo, field_name)
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
    return _decoded(decode_factored_qubo, envelope, field_name)


def terms_from_matrix(Q: np.ndarray) -> dict[tuple[int, ...], float]:
    """QUBO terms of x^T Q x: a_i = Q_ii, b_ij = Q_ij + Q_ji, tiny noise dropped (§3.2)."""
    n = Q.shape[0]
    scale = float(np.abs(Q).max()) if Q.size else 0.0
    cut = 1e-12 * scale
    terms: dict[tuple[int, ...], float] = {}
    for i in np.flatnonzero(np.abs(np.diag(Q)) > cut):
        terms[(int(i),)] = float(Q[i, i])
    B = np.triu(Q, 1) + np.tril(Q, -1).T
    ii, jj = np.nonzero(np.abs(B) > cut)
    if len(ii) > MAX_TERMS:
        raise ProblemTooLargeError("qubo", f"{len(ii)} couplings exceed the limit {MAX_TERMS}")
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        terms[(i, j)] = float(B[i, j])
    del n
    return terms


def parse_wire_qubo(
    qubo: Any, *, field_name: str = "qubo"
) -> tuple[int, dict[tuple[int, ...], float], float, str]:
    """Parse either wire form into (inferred n, terms, constant, encoding name)."""
    if not isinstance(qubo, dict):
        raise ProblemError(field_name, "must be a JSON object")
    if "_format" in qubo:  # its presence is what tells the two forms apart (§1.5)
        Q = decode_factored(qubo, field_name=field_name)
        return Q.shape[0], terms_from_matrix(Q), 0.0, FACTORED_FORMAT
    n, terms, constant = parse_legacy_qubo(qubo, field_name=field_name)
    return n, terms, constant, "legacy"


# ----------------------------------------------------------------------------------------------
# Options (characterization.md §1.7) and reference states
# ----------------------------------------------------------------------------------------------
_PRESET_FLAGS = {  # preset -> (parameter_sweep, structural_sensitivity, hardness, grid)
    "fast": (False, False, False, (0, 0)),
    "standard": (True, True, False, (32, 16)),
    "deep": (True, True, True, (64, 32)),
}
_TOP_OPTION_KEYS = {
    "preset", "analysis", "ansatz", "subspace", "constraints", "n_qubits", "cost_qubo",
    "penalty_qubo",
}
_ANALYSIS_KEYS = {"gamma", "beta", "structural_sensitivity", "parameter_sweep", "penalty_tuning"}
_SEED_ANALYSIS_KEYS = {"sensitivity", "auto_tune", "hardness_only"}
_CONSTRAINT_TYPES = {
    "max_cardinality", "min_cardinality", "eq_cardinality", "inequality", "equality",
}


@dataclass(frozen=True)
class Options:
    """Validated options with the preset resolved (what the engine will do)."""

    preset: str = "standard"
    parameter_sweep: bool = True
    structural_sensitivity: bool = True
    penalty_tuning: bool = False
    hardness: bool = False
    gamma: float | None = None
    beta: float | None = None
    mixer: str = "x"
    layers: int = 1
    subspace: dict | None = None
    constraints: tuple[dict, ...] = ()
    n_qubits: int | None = None
    cost_qubo: dict | None = None
    penalty_qubo: dict | None = None
    grid: tuple[int, int] = (32, 16)
    notes: tuple[str, ...] = ()


def _strict_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(where, "must be true or false")
    return value


def _strict_int(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(where, "must be an integer")
    if value < minimum:
        raise ProblemError(where, f"must be >= {minimum}")
    return value


def _index_list(value: Any, where: str) -> list[int]:
    if not isinstance(value, list):
        raise ProblemError(where, "must be a list of indices")
    out = [_strict_int(v, f"{where}[{i}]", minimum=0) for i, v in enumerate(value)]
    return out


def _check_subspace(sub: Any) -> dict:
    where = "options.subspace"
    if not isinstance(sub, dict):
        raise ProblemError(where, "must be an object")
    allowed = {"auto_warmstart", "solver", "max_variable_qubits", "restarts", "base_bitstring",
               "variable_qubits"}
    extra = set(sub) - allowed
    if extra:
        raise ProblemError(where, f"unknown keys {sorted(extra)}")
    if "auto_warmstart" in sub:
        _strict_bool(sub["auto_warmstart"], f"{where}.auto_warmstart")
    if "solver" in sub and not isinstance(sub["solver"], str):
        raise ProblemError(f"{where}.solver", "must be a string")
    for k in ("max_variable_qubits", "restarts"):
        if k in sub:
            _strict_int(sub[k], f"{where}.{k}", minimum=1)
    if "base_bitstring" in sub and not (
        isinstance(sub["base_bitstring"], str) and _BITS_RE.fullmatch(sub["base_bitstring"])
    ):
        raise ProblemError(f"{where}.base_bitstring", "must be a string of 0 and 1")
    if "variable_qubits" in sub:
        vq = _index_list(sub["variable_qubits"], f"{where}.variable_qubits")
        if len(set(vq)) != len(vq):
            raise ProblemError(f"{where}.variable_qubits", "must not contain duplicates")
    manual = sub.get("auto_warmstart") is False
    has_manual = "base_bitstring" in sub or "variable_qubits" in sub
    has_auto = any(k in sub for k in ("solver", "max_variable_qubits", "restarts"))
    if not manual and has_manual:
        raise ProblemError(where, "base_bitstring/variable_qubits need auto_warmstart=false")
    if manual and has_auto:
        raise ProblemError(where, "solver/max_variable_qubits/restarts need auto_warmstart")
    if ("base_bitstring" in sub) != ("variable_qubits" in sub):
        raise ProblemError(where, "base_bitstring and variable_qubits go together")
    return dict(sub)


def _check_constraint(c: Any, i: int) -> dict:
    where = f"options.constraints[{i}]"
    if not isinstance(c, dict):
        raise ProblemError(where, "must be an object")
    extra = set(c) - {"type", "bound", "qubits", "weights"}
    if extra:
        raise ProblemError(where, f"unknown keys {sorted(extra)}")
    if c.get("type") not in _CONSTRAINT_TYPES:
        raise ProblemError(f"{where}.type", f"must be one of {sorted(_CONSTRAINT_TYPES)}")
    if "bound" not in c:
        raise ProblemError(f"{where}.bound", "is required")
    out: dict[str, Any] = {"type": c["type"], "bound": _number(c["bound"], f"{where}.bound")}
    if "qubits" in c:
        out["qubits"] = _index_list(c["qubits"], f"{where}.qubits")
    if "weights" in c:
        w = c["weights"]
        if not isinstance(w, dict):
            raise ProblemError(f"{where}.weights", "must be an object {index: weight}")
        weights = {}
        for k, v in w.items():
            key = k if isinstance(k, int) and not isinstance(k, bool) else None
            if isinstance(k, str) and k.isdigit():
                key = int(k)
            if key is None:
                raise ProblemError(f"{where}.weights", f"key {k!r} is not an index")
            weights[key] = _number(v, f"{where}.weights[{k!r}]")
        out["weights"] = weights
    if c["type"] in ("inequality", "equality") and not out.get("weights"):
        raise ProblemError(f"{where}.weights", f"{c['type']!r} requires non-empty weights")
    return out


def parse_options(options: Any, *, compat_seed: bool = False) -> Options:
    """Validate the options object; strict on the current vocabulary (§1.7, §3.13).

    With ``compat_seed`` the seed's analysis keys are mapped: ``sensitivity`` ->
    ``structural_sensitivity``, ``auto_tune`` -> ``penalty_tuning``, ``hardness_only`` ->
    preset deep without sweep and sensitivity.
    """
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise ProblemError("options", "must be an object")
    extra = set(options) - _TOP_OPTION_KEYS
    if extra:
        raise ProblemError("options", f"unknown keys {sorted(extra)}")
    preset = options.get("preset", "standard")
    if preset not in PRESETS:
        raise ProblemError("options.preset", f"must be one of {list(PRESETS)}")
    sweep, sens, hardness, grid = _PRESET_FLAGS[preset]
    notes: list[str] = []
    analysis = options.get("analysis") or {}
    if not isinstance(analysis, dict):
        raise ProblemError("options.analysis", "must be an object")
    analysis = dict(analysis)
    if compat_seed:
        if "sensitivity" in analysis:
            analysis.setdefault("structural_sensitivity", analysis.pop("sensitivity"))
        if "auto_tune" in analysis:
            analysis.setdefault("penalty_tuning", analysis.pop("auto_tune"))
        if analysis.pop("hardness_only", False) is True:
            preset, hardness, grid = "deep", True, _PRESET_FLAGS["deep"][3]
            analysis.setdefault("parameter_sweep", False)
            analysis.setdefault("structural_sensitivity", False)
            notes.append("seed option hardness_only mapped to preset deep without sweep")
    allowed = _ANALYSIS_KEYS
    extra = set(analysis) - allowed
    if extra:
        hint = " (seed keys; the service runs without the compatibility switch)" if (
            extra & _SEED_ANALYSIS_KEYS) else ""
        raise ProblemError("options.analysis", f"unknown keys {sorted(extra)}{hint}")
    gamma = beta = None
    if "gamma" in analysis:
        gamma = _number(analysis["gamma"], "options.analysis.gamma")
    if "beta" in analysis:
        beta = _number(analysis["beta"], "options.analysis.beta")
    if "parameter_sweep" in analysis:
        sweep = _strict_bool(analysis["parameter_sweep"], "options.analysis.parameter_sweep")
        if sweep and (gamma is not None or beta is not None):
            raise ProblemError("options.analysis", "parameter_sweep=true excludes gamma/beta")
    if "structural_sensitivity" in analysis:
        sens = _strict_bool(
            analysis["structural_sensitivity"], "options.analysis.structural_sensitivity"
        )
    penalty_tuning = False
    if "penalty_tuning" in analysis:
        penalty_tuning = _strict_bool(analysis["penalty_tuning"], "options.analysis.penalty_tuning")
    mixer, layers = "x", 1
    ansatz = options.get("ansatz") or {}
    if not isinstance(ansatz, dict):
        raise ProblemError("options.ansatz", "must be an object")
    extra = set(ansatz) - {"mixer", "layers"}
    if extra:
        raise ProblemError("options.ansatz", f"unknown keys {sorted(extra)}")
    if "mixer" in ansatz:
        if ansatz["mixer"] not in ("x", "xy", "I"):
            raise ProblemError("options.ansatz.mixer", "must be 'x', 'xy' or 'I'")
        mixer = ansatz["mixer"]
    if "layers" in ansatz:
        layers = _strict_int(ansatz["layers"], "options.ansatz.layers", minimum=1)
    subspace = _check_subspace(options["subspace"]) if "subspace" in options else None
    constraints_raw = options.get("constraints") or []
    if not isinstance(constraints_raw, list):
        raise ProblemError("options.constraints", "must be a list")
    constraints = tuple(_check_constraint(c, i) for i, c in enumerate(constraints_raw))
    n_qubits = None
    if "n_qubits" in options:
        n_qubits = _strict_int(options["n_qubits"], "options.n_qubits", minimum=1)
        if n_qubits > MAX_VARIABLES:
            raise ProblemTooLargeError("options.n_qubits", f"exceeds the limit {MAX_VARIABLES}")
    cost_qubo = options.get("cost_qubo")
    penalty_qubo = options.get("penalty_qubo")
    for name, comp in (("cost_qubo", cost_qubo), ("penalty_qubo", penalty_qubo)):
        if comp is not None and not isinstance(comp, dict):
            raise ProblemError(f"options.{name}", "must be a legacy comma-key object")
    if penalty_tuning and (cost_qubo is None or penalty_qubo is None):
        raise ProblemError("options.analysis.penalty_tuning",
                           "needs options.cost_qubo and options.penalty_qubo")
    return Options(
        preset=preset, parameter_sweep=sweep, structural_sensitivity=sens,
        penalty_tuning=penalty_tuning, hardness=hardness, gamma=gamma, beta=beta, mixer=mixer,
        layers=layers, subspace=subspace, constraints=constraints, n_qubits=n_qubits,
        cost_qubo=cost_qubo, penalty_qubo=penalty_qubo, grid=grid, notes=tuple(notes),
    )


def parse_reference_states(states: Any, n: int) -> tuple[str, ...]:
    """Validate reference bitstrings: a list of ``[01]+`` strings, each n wide."""
    if states is None:
        return ()
    if not isinstance(states, list):
        raise ProblemError("reference_states", "must be a list of bitstrings")
    for i, s in enumerate(states):
        if not isinstance(s, str) or not _BITS_RE.fullmatch(s):
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
    n = inferred
    if options.n_qubits is not None:
        if options.n_qubits < inferred:
            raise ProblemError(
                "options.n_qubits", f"{options.n_qubits} < {inferred} variables in the qubo"
            )
        n = options.n_qubits
    notes = list(options.notes)
    refs_raw = body.get("reference_states")
    if "target_states" in body:  # the seed's name (§0): accepted as an alias
        if refs_raw is not None and body["target_states"] != refs_raw:
            raise ProblemError("target_states", "conflicts with reference_states")
        refs_raw = body["target_states"]
        notes.append("target_states read as reference_states")
    references = parse_reference_states(refs_raw, n)
    for c_i, c in enumerate(options.constraints):
        for q in list(c.get("qubits", [])) + list(c.get("weights", {})):
            if q >= n:
                raise ProblemError(f"options.constraints[{c_i}]", f"index {q} >= n={n}")
    if options.subspace and "base_bitstring" in options.subspace:
        if len(options.subspace["base_bitstring"]) != n:
            raise ProblemError("options.subspace.base_bitstring", f"must have {n} bits")
        if any(q >= n for q in options.subspace["variable_qubits"]):
            raise ProblemError("options.subspace.variable_qubits", f"index >= n={n}")
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


# ----------------------------------------------------------------------------------------------
# Bit helpers. State index s = sum_i x_i 2^i; bitstring character i = x_i (§1.3).
# ----------------------------------------------------------------------------------------------
def bits_matrix(count: int, nbits: int) -> np.ndarray:
    """Rows = x for s = 0..count-1, as float64 0/1 (shape (count, nbits))."""
    s = np.arange(count, dtype=np.int64)[:, None]
    return ((s >> np.arange(nbits, dtype=np.int64)) & 1).astype(np.float64)


def index_to_bits(s: int, n: int) -> str:
    return "".join("1" if (int(s) >> i) & 1 else "0" for i in range(n))


def bits_to_index(bits: str) -> int:
    return sum(1 << i for i, ch in enumerate(bits) if ch == "1")


def row_to_bits(x: np.ndarray) -> str:
    return "".join("1" if v > 0.5 else "0" for v in x)


# ----------------------------------------------------------------------------------------------
# Exact enumeration (§3.3): E = e_L (+) e_H + crossing terms, one GEMM per batch of terms.
# ----------------------------------------------------------------------------------------------
_TERM_BATCH = 256


def exact_energies(poly: Polynomial) -> np.ndarray:
    """All 2^n energies, index s = sum x_i 2^i. Peak memory ~ the output + O(2^(n/2) * 256)."""
    n = poly.n
    low = n // 2
    high = n - low
    XL = np.hstack([bits_matrix(1 << low, low), np.ones((1 << low, 1))])  # last col = 1
    XH = np.hstack([bits_matrix(1 << high, high), np.ones((1 << high, 1))])
    eL = XL[:, :low] @ poly.linear[:low]
    eH = XH[:, :high] @ poly.linear[low:]
    E2 = np.empty((1 << high, 1 << low))
    E2[:] = eH[:, None]
    E2 += eL[None, :] + poly.constant
    for idx, coef in poly.groups:
        in_low = idx < low
        for start in range(0, len(coef), _TERM_BATCH):
            sl = slice(start, start + _TERM_BATCH)
            il = np.where(in_low[sl], idx[sl], low)             # column `low` of XL is all-ones
            ih = np.where(in_low[sl], high, idx[sl] - low)
            IL = XL[:, il].prod(axis=2) * coef[sl]              # (2^low, B)
            IH = XH[:, ih].prod(axis=2)                          # (2^high, B)
            E2 += IH @ IL.T
    return E2.reshape(-1)


def count_local_minima(E: np.ndarray, n: int, tol: float) -> np.ndarray:
    """Mask of 1-flip local minima (no single flip lowers E by more than ``tol``), no gather."""
    mask = np.ones(E.shape[0], dtype=bool)
    for i in range(n):
        V = E.reshape(1 << (n - i - 1), 2, 1 << i)
        M = mask.reshape(1 << (n - i - 1), 2, 1 << i)
        M[:, 0, :] &= V[:, 0, :] <= V[:, 1, :] + tol
        M[:, 1, :] &= V[:, 1, :] <= V[:, 0, :] + tol
    return mask


def popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a.astype(np.uint64)).astype(np.int64)


def min_hamming(targets: np.ndarray, pool: np.ndarray, *, max_work: int = 50_000_000) -> int | None:
    """min over (t, p) of popcount(t ^ p); None when the pair count exceeds ``max_work``."""
    if len(targets) == 0 or len(pool) == 0 or len(targets) * len(pool) > max_work:
        return None
    best = 1 << 30
    step = max(1, max_work // max(1, len(pool)) // 8)
    for start in range(0, len(targets), step):
        t = targets[start:start + step].astype(np.uint64)[:, None]
        best = min(best, int(popcount(t ^ pool.astype(np.uint64)[None, :]).min()))
    return best


# ----------------------------------------------------------------------------------------------
# Ising / Walsh form (§3.2): x_i = (1 - z_i) / 2
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ising:
    """E = c0 + sum h_i z_i + sum_{i<j} J_ij z_i z_j (+ higher Walsh terms for a HUBO)."""

    c0: float
    h: np.ndarray
    J_idx: np.ndarray            # (m, 2), i < j
    J: np.ndarray                # (m,)
    higher: dict[tuple[int, ...], float]  # |S| >= 3 (HUBO only)

    def walsh_squares(self) -> tuple[np.ndarray, np.ndarray]:
        """(orders |S|, w_S^2) over all non-empty S with a non-zero coefficient."""
        orders = [np.ones(np.count_nonzero(self.h)), 2 * np.ones(len(self.J))]
        squares = [self.h[self.h != 0] ** 2, self.J**2]
        if self.higher:
            orders.append(np.array([len(s) for s in self.higher], dtype=float))
            squares.append(np.array(list(self.higher.values())) ** 2)
        return np.concatenate(orders), np.concatenate(squares)


def ising_form(poly: Polynomial) -> Ising | None:
    """Walsh coefficients of E. QUBO in closed form; HUBO by subset expansion (None past the
    work limit ``WALSH_MAX_WORK``)."""
    n = poly.n
    a = poly.linear
    pidx, pw = poly.pairs
    if poly.is_quadratic:
        h = -a / 2.0
        np.add.at(h, pidx[:, 0], -pw / 4.0)
        np.add.at(h, pidx[:, 1], -pw / 4.0)
        c0 = poly.constant + a.sum() / 2.0 + pw.sum() / 4.0
        return Ising(c0=float(c0), h=h, J_idx=pidx, J=pw / 4.0, higher={})
    work = sum(len(c) * (1 << idx.shape[1]) for idx, c in poly.groups)
    if work > WALSH_MAX_WORK:
        return None
    w: dict[tuple[int, ...], float] = {(): poly.constant}
    for i in np.flatnonzero(a):
        w[()] += a[i] / 2.0
        w[(int(i),)] = w.get((int(i),), 0.0) - a[i] / 2.0
    for idx, coef in poly.groups:
        d = idx.shape[1]
        scale = 2.0**-d
        for row, c in zip(idx.tolist(), coef.tolist(), strict=True):
            for r in range(d + 1):
                sgn = (-1.0) ** r * c * scale
                for sub in itertools.combinations(row, r):
                    w[sub] = w.get(sub, 0.0) + sgn
    h = np.zeros(n)
    jk, jv, higher = [], [], {}
    tiny = 1e-14 * max(1.0, max(abs(v) for v in w.values()))
    for s, v in w.items():
        if len(s) == 1:
            h[s[0]] = v
        elif len(s) == 2 and abs(v) > tiny:
            jk.append(s)
            jv.append(v)
        elif len(s) >= 3 and abs(v) > tiny:
            higher[s] = v
    J_idx = np.array(jk, dtype=np.int64).reshape(-1, 2)
    return Ising(c0=float(w[()]), h=h, J_idx=J_idx, J=np.array(jv, dtype=float), higher=higher)


# ----------------------------------------------------------------------------------------------
# Interaction graph, structure, certificates, persistencies (§3.5)
# ----------------------------------------------------------------------------------------------
def interaction_edges(poly: Polynomial) -> np.ndarray:
    """Unique undirected edges (i < j) of the primal graph (every pair inside a monomial)."""
    parts = []
    for idx, _ in poly.groups:
        d = idx.shape[1]
        for p, q in itertools.combinations(range(d), 2):
            parts.append(idx[:, [p, q]])
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    e = np.concatenate(parts)
    keys = np.unique(e[:, 0] * poly.n + e[:, 1])
    return np.stack([keys // poly.n, keys % poly.n], axis=1)


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected-component label of every variable."""
    from scipy.sparse.csgraph import connected_components

    A = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(A, directed=False)
    return labels


def treewidth_estimate(n: int, edges: np.ndarray) -> tuple[int | None, str | None]:
    """Min-fill (small graphs) or min-degree upper bound on the treewidth (networkx)."""
    if len(edges) == 0:
        return 0, "no_couplings"
    if n * len(edges) > 2e7:  # min-degree on networkx costs seconds beyond this
        return None, None
    import networkx as nx
    from networkx.algorithms.approximation import treewidth_min_degree, treewidth_min_fill_in

    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges.tolist())
    if n * len(edges) <= 2e5:
        return int(treewidth_min_fill_in(G)[0]), "min_fill_in"
    return int(treewidth_min_degree(G)[0]), "min_degree"


def is_balanced(n: int, edges: np.ndarray, weights: np.ndarray) -> bool:
    """True when flipping a subset of variables makes every coupling <= 0 (§3.5).

    b > 0 needs exactly one endpoint flipped, b < 0 both or none: a signed 2-colouring.
    """
    colour = -np.ones(n, dtype=np.int64)
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for (i, j), w in zip(edges.tolist(), weights.tolist(), strict=True):
        s = 1 if w > 0 else 0
        adj[i].append((j, s))
        adj[j].append((i, s))
    for start in range(n):
        if colour[start] >= 0:
            continue
        colour[start] = 0
        stack = [start]
        while stack:
            u = stack.pop()
            for v, s in adj[u]:
                want = colour[u] ^ s
                if colour[v] < 0:
                    colour[v] = want
                    stack.append(v)
                elif colour[v] != want:
                    return False
    return True


def persistencies(poly: Polynomial, max_rounds: int = 1000) -> tuple[np.ndarray, int]:
    """First-order dominance fixings iterated to a fixed point (§3.5).

    Returns (state per variable: -1 free, 0 or 1 fixed, and how many fixings hold in every
    optimum). x_i = 0 keeps an optimum when dE/dx_i >= 0 for every completion; x_i = 1 when
    dE/dx_i <= 0; the fixing is strict (all optima) when the inequality is strict.
    """
    n = poly.n
    state = -np.ones(n, dtype=np.int64)
    strict = 0
    for _ in range(max_rounds):
        free = state < 0
        lo = poly.linear.copy()
        hi = poly.linear.copy()
        for idx, coef in poly.groups:
            st = state[idx]
            alive = ~(st == 0).any(axis=1)
            nfree = (st < 0).sum(axis=1)
            for p in range(idx.shape[1]):
                sel = alive & (st[:, p] < 0)
                if not sel.any():
                    continue
                definite = nfree[sel] == 1
                c = coef[sel]
                tgt = idx[sel, p]
                lo_c = np.where(definite, c, np.minimum(0.0, c))
                hi_c = np.where(definite, c, np.maximum(0.0, c))
                lo += np.bincount(tgt, lo_c, minlength=n)
                hi += np.bincount(tgt, hi_c, minlength=n)
        to0 = free & (lo >= 0.0)
        to1 = free & ~to0 & (hi <= 0.0)
        if not (to0.any() or to1.any()):
            break
        strict += int(np.count_nonzero(to0 & (lo > 0.0)) + np.count_nonzero(to1 & (hi < 0.0)))
        state[to0] = 0
        state[to1] = 1
    return state, strict


def trivial_lower_bound(poly: Polynomial) -> float:
    """c + sum of negative coefficients: every monomial is in {0, 1}."""
    c = poly.coefficients()
    return float(poly.constant + c[c < 0].sum())


def trivial_upper_bound(poly: Polynomial) -> float:
    c = poly.coefficients()
    return float(poly.constant + c[c > 0].sum())


def mccormick_bound(poly: Polynomial) -> float | None:
    """LP relaxation min a.x + b.y with McCormick envelopes (QUBO only, scipy HiGHS, §3.8)."""
    if not poly.is_quadratic:
        return None
    from scipy.optimize import linprog

    n = poly.n
    pidx, b = poly.pairs
    m = len(b)
    if m > LP_MAX_PAIRS:
        return None
    if m == 0:
        return trivial_lower_bound(poly)
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    neg = np.flatnonzero(b < 0)
    pos = np.flatnonzero(b > 0)
    for k in neg:  # y <= x_i, y <= x_j
        for v in pidx[k]:
            rows += [r, r]
            cols += [n + k, int(v)]
            vals += [1.0, -1.0]
            rhs.append(0.0)
            r += 1
    for k in pos:  # y >= x_i + x_j - 1  <=>  x_i + x_j - y <= 1
        rows += [r, r, r]
        cols += [int(pidx[k, 0]), int(pidx[k, 1]), n + k]
        vals += [1.0, 1.0, -1.0]
        rhs.append(1.0)
        r += 1
    A = sp.csr_matrix((vals, (rows, cols)), shape=(r, n + m))
    cvec = np.concatenate([poly.linear, b])
    res = linprog(cvec, A_ub=A, b_ub=np.array(rhs), bounds=(0.0, 1.0), method="highs")
    if res.status != 0:
        return None
    return float(res.fun + poly.constant)


def frustrated_triangles(n: int, J_idx: np.ndarray, J: np.ndarray) -> tuple[int, int] | None:
    """(triangles, frustrated triangles) of the signed coupling graph (sign product > 0)."""
    if len(J) == 0:
        return 0, 0
    if len(J) > 200_000:
        return None
    S = sp.coo_matrix((np.sign(J), (J_idx[:, 0], J_idx[:, 1])), shape=(n, n)).tocsr()
    S = S + S.T
    A = abs(S)
    T = (A @ A).multiply(A).sum() / 6.0
    D = (S @ S).multiply(S).sum() / 6.0
    return round(T), round((T + D) / 2.0)


# ----------------------------------------------------------------------------------------------
# Heuristics (§3.8): steepest descent and simulated annealing over colour classes
# ----------------------------------------------------------------------------------------------
class FieldBlock:
    """dE/dx_i for the variables ``S``, vectorised over replicas: a_S + sum of partial terms."""

    def __init__(self, poly: Polynomial, S: np.ndarray):
        self.S = np.asarray(S, dtype=np.int64)
        pos = -np.ones(poly.n, dtype=np.int64)
        pos[self.S] = np.arange(len(self.S))
        self.a = poly.linear[self.S]
        self.parts: list[tuple[np.ndarray, sp.csr_matrix]] = []
        self.dense: np.ndarray | None = None
        if poly.is_quadratic and poly.n <= DENSE_FIELD_MAX_N:
            # small QUBO: one BLAS call beats several sparse products per block
            pidx, pw = poly.pairs
            B = np.zeros((poly.n, poly.n))
            B[pidx[:, 0], pidx[:, 1]] = pw
            B[pidx[:, 1], pidx[:, 0]] = pw
            self.dense = np.ascontiguousarray(B[:, self.S])
            return
        for idx, coef in poly.groups:
            d = idx.shape[1]
            for p in range(d):
                sel = pos[idx[:, p]] >= 0
                if not sel.any():
                    continue
                others = np.delete(idx[sel], p, axis=1)
                target = pos[idx[sel, p]]
                k = len(target)
                scatter = sp.csr_matrix(
                    (coef[sel], (target, np.arange(k))), shape=(len(self.S), k)
                )
                self.parts.append((others, scatter))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.a + X @ self.dense
        F = np.tile(self.a, (X.shape[0], 1))
        for others, scatter in self.parts:
            prod = X[:, others[:, 0]] if others.shape[1] == 1 else X[:, others].prod(axis=2)
            F += (scatter @ prod.T).T
        return F


def colour_classes(n: int, edges: np.ndarray) -> list[np.ndarray]:
    """Greedy colouring of the primal graph: same-colour variables share no term."""
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges.tolist())
    col = nx.greedy_color(G, strategy="largest_first")
    classes: dict[int, list[int]] = {}
    for v, c in col.items():
        classes.setdefault(c, []).append(v)
    return [np.array(sorted(v), dtype=np.int64) for _, v in sorted(classes.items())]


def field_scale(poly: Polynomial) -> float:
    """max_i (|a_i| + sum_{T containing i} |c_T|): the largest possible single-flip change."""
    s = np.abs(poly.linear).copy()
    for idx, coef in poly.groups:
        for p in range(idx.shape[1]):
            s += np.bincount(idx[:, p], np.abs(coef), minlength=poly.n)
    return float(s.max()) if s.size else 0.0


def coupling_csr(poly: Polynomial) -> sp.csr_matrix:
    """Symmetric CSR of the pair coefficients (b_ij at (i, j) and (j, i)), QUBO part only."""
    pidx, pw = poly.pairs
    rows = np.concatenate([pidx[:, 0], pidx[:, 1]])
    cols = np.concatenate([pidx[:, 1], pidx[:, 0]])
    return sp.csr_matrix((np.concatenate([pw, pw]), (rows, cols)), shape=(poly.n, poly.n))


def steepest_descent(
    poly: Polynomial, X: np.ndarray, full: FieldBlock, tol: float
) -> np.ndarray:
    """Flip the best improving variable of each replica until no flip improves by > ``tol``.

    For a QUBO the gradient is updated incrementally after each flip (O(degree) per replica);
    a HUBO recomputes it.
    """
    X = X.copy()
    rows = np.arange(X.shape[0])
    G = full(X)
    B = coupling_csr(poly) if poly.is_quadratic else None
    for _ in range(4 * poly.n + 10):
        D = (1.0 - 2.0 * X) * G
        j = D.argmin(axis=1)
        act = D[rows, j] < -tol
        if not act.any():
            break
        r, jj = rows[act], j[act]
        dx = 1.0 - 2.0 * X[r, jj]          # +1 for 0 -> 1, -1 for 1 -> 0
        X[r, jj] += dx
        if B is None:
            G = full(X)
            continue
        start, stop = B.indptr[jj], B.indptr[jj + 1]
        cnt = stop - start
        pos = np.repeat(start - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
        np.add.at(G, (np.repeat(r, cnt), B.indices[pos]), B.data[pos] * np.repeat(dx, cnt))
    return X


def anneal(
    poly: Polynomial,
    blocks: list[FieldBlock],
    rng: np.random.Generator,
    *,
    replicas: int,
    sweeps: int,
    t0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Single-flip Metropolis SA, geometric schedule t0 -> 1e-3 t0, colour classes in parallel.

    Returns each replica's best state and its (recomputed) energy.
    """
    X = rng.integers(0, 2, size=(replicas, poly.n)).astype(np.float64)
    energy = poly.energies(X)
    best_X, best_E = X.copy(), energy.copy()
    for T in np.geomspace(t0, 1e-3 * t0, sweeps):
        for blk in blocks:
            xs = X[:, blk.S]
            d = (1.0 - 2.0 * xs) * blk(X)
            accept = (d <= 0.0) | (rng.random(d.shape) < np.exp(-np.minimum(d / T, 700.0)))
            X[:, blk.S] = np.where(accept, 1.0 - xs, xs)
            energy += (d * accept).sum(axis=1)
        better = energy < best_E
        best_X[better] = X[better]
        best_E[better] = energy[better]
    return best_X, poly.energies(best_X)


# ----------------------------------------------------------------------------------------------
# QAOA p=1 (§3.7): e^{-i beta sum X} e^{-i gamma C} |+>^n, PennyLane's cost/mixer convention
# ----------------------------------------------------------------------------------------------
class ClosedFormP1:
    """Exact <C>(gamma, beta) for a QUBO at any n.

    <C> = c0 + sin(2b) T1(g) + sin(4b) T2(g) + sin^2(2b) T3(g), with T1..T3 sums over nodes and
    edges of products of cosines over neighbourhoods (characterization.md §3.7).
    """

    def __init__(self, ising: Ising, n: int):
        self.c0, self.h, self.n = ising.c0, ising.h, n
        ei, ej = ising.J_idx[:, 0], ising.J_idx[:, 1]
        self.ei, self.ej, self.J = ei, ej, ising.J
        m = len(self.J)
        # node -> incident couplings (CSR over both directions), one pad (J = 0) per node
        src = np.concatenate([ei, ej, np.arange(n)])
        dst = np.concatenate([ej, ei, np.arange(n)])
        val = np.concatenate([self.J, self.J, np.zeros(n)])
        is_pad = np.concatenate([np.zeros(2 * m, bool), np.ones(n, bool)])
        order = np.lexsort((dst, is_pad, src))
        self.node_J = val[order]
        self.node_start = np.searchsorted(src[order], np.arange(n))
        # edge -> union of neighbourhoods with (J_uw, J_vw); one pad per edge
        real = ~is_pad[order]
        s_src, s_dst, s_val = src[order][real], dst[order][real], val[order][real]
        ptr = np.searchsorted(s_src, np.arange(n + 1))
        keys = s_src * n + s_dst                       # sorted (src, dst)
        self.entries = 0
        if m == 0:
            self.e_id = np.zeros(0, dtype=np.int64)
            self.Ju = self.Jv = np.zeros(0)
            self.edge_start = np.zeros(0, dtype=np.int64)
            return

        def lookup(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            k = a * n + b
            pos = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
            return np.where(keys[pos] == k, s_val[pos], 0.0)

        def gather(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            cnt = ptr[nodes + 1] - ptr[nodes]
            eid = np.repeat(np.arange(m), cnt)
            off = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            return eid, ptr[nodes][eid] + off

        e1, p1 = gather(ei)
        w1 = s_dst[p1]
        keep1 = w1 != ej[e1]
        e1, w1, ju1 = e1[keep1], w1[keep1], s_val[p1][keep1]
        jv1 = lookup(ej[e1], w1)
        e2, p2 = gather(ej)
        w2 = s_dst[p2]
        jv2 = s_val[p2]
        keep2 = (w2 != ei[e2]) & (lookup(ei[e2], w2) == 0.0)
        e2, jv2 = e2[keep2], jv2[keep2]
        e_id = np.concatenate([e1, e2, np.arange(m)])
        Ju = np.concatenate([ju1, np.zeros(len(e2)), np.zeros(m)])
        Jv = np.concatenate([jv1, jv2, np.zeros(m)])
        order = np.argsort(e_id, kind="stable")
        self.e_id, self.Ju, self.Jv = e_id[order], Ju[order], Jv[order]
        self.edge_start = np.searchsorted(self.e_id, np.arange(m))
        self.entries = len(self.e_id)

    @staticmethod
    def cost_entries(ising: Ising, n: int) -> int:
        """Upper bound of the neighbourhood entries held (sum over edges of deg u + deg v)."""
        deg = np.bincount(ising.J_idx.reshape(-1), minlength=n)
        return int((deg[ising.J_idx[:, 0]] + deg[ising.J_idx[:, 1]]).sum()) + len(ising.J)

    def terms(self, gammas: np.ndarray) -> np.ndarray:
        """T1, T2, T3 for every gamma (shape (3, len(gammas)))."""
        out = np.zeros((3, len(gammas)))
        chunk = max(1, 4_000_000 // max(1, self.entries + len(self.node_J)))
        for s in range(0, len(gammas), chunk):
            g = np.asarray(gammas[s:s + chunk], dtype=float)[:, None]
            out[:, s:s + chunk] = self._terms(g)
        return out

    def _terms(self, g: np.ndarray) -> np.ndarray:
        h, J = self.h, self.J
        P_node = np.multiply.reduceat(np.cos(2 * g * self.node_J), self.node_start, axis=1)
        T1 = (h * np.sin(2 * g * h) * P_node).sum(axis=1)
        if len(J) == 0:
            return np.stack([T1, np.zeros_like(T1), np.zeros_like(T1)])
        hu, hv = h[self.ei], h[self.ej]
        st = self.edge_start
        Au = np.cos(2 * g * hu) * np.multiply.reduceat(np.cos(2 * g * self.Ju), st, axis=1)
        Av = np.cos(2 * g * hv) * np.multiply.reduceat(np.cos(2 * g * self.Jv), st, axis=1)
        plus = np.cos(2 * g * (hu + hv)) * np.multiply.reduceat(
            np.cos(2 * g * (self.Ju + self.Jv)), st, axis=1)
        minus = np.cos(2 * g * (hu - hv)) * np.multiply.reduceat(
            np.cos(2 * g * (self.Ju - self.Jv)), st, axis=1)
        T2 = 0.5 * (J * np.sin(2 * g * J) * (Au + Av)).sum(axis=1)
        T3 = -0.5 * (J * (plus - minus)).sum(axis=1)
        return np.stack([T1, T2, T3])

    def grid(self, gammas: np.ndarray, betas: np.ndarray) -> np.ndarray:
        """<C> on the grid, shape (len(gammas), len(betas))."""
        T = self.terms(gammas)
        b = np.asarray(betas, dtype=float)[None, :]
        return (self.c0 + np.sin(2 * b) * T[0][:, None] + np.sin(4 * b) * T[1][:, None]
                + np.sin(2 * b) ** 2 * T[2][:, None])


def qaoa_state(E: np.ndarray, n: int, gamma: float, beta: float) -> np.ndarray:
    """p=1 statevector over the energy vector E (index s = sum x_i 2^i)."""
    psi = np.exp(-1j * gamma * E) / math.sqrt(E.shape[0])
    c, s = math.cos(beta), -1j * math.sin(beta)
    for i in range(n):
        v = psi.reshape(1 << (n - i - 1), 2, 1 << i)
        a = v[:, 0, :].copy()
        v[:, 0, :] = c * a + s * v[:, 1, :]
        v[:, 1, :] = s * a + c * v[:, 1, :]
    return psi


def qaoa_expectation_sv(E: np.ndarray, n: int, gamma: float, beta: float) -> float:
    psi = qaoa_state(E, n, gamma, beta)
    return float(np.dot(np.abs(psi) ** 2, E))


def seed_for(poly: Polynomial) -> int:
    """Deterministic RNG seed: the first 8 bytes of the canonical problem's hash."""
    return int(poly.digest()[:16], 16) % (1 << 63)
