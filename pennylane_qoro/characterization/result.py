"""The result of a characterization (characterization.md §1.8, §2).

Owns :class:`CharacterizationResult`: the server's seven fields, typed accessors that read the
current names first and every older name as a fallback, the problem context this client sent
(constant offset, variable labels, encoding, where the reference states came from), a readable
``__str__``, and ``_repr_html_`` that fetches the server's HTML report lazily, once.

Imports numpy, the standard library and this package's errors; the client object is held, not
imported.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..client.errors import QoroError
from ..protocol.characterization_text import regime_text
from .problem import Problem

log = logging.getLogger(__name__)


def _first(d: dict | None, *keys: str) -> Any:
    """First non-null value among ``keys`` (an explicit null counts as missing)."""
    if not d:
        return None
    for k in keys:
        if d.get(k) is not None:
            return d[k]
    return None


def _num(v: Any) -> str:
    """Display text of one number, the rounding rule of the service's HTML report
    (``local/analysis/labels.fmt``): 4 significant digits, ``not computed`` for None."""
    if v is None:
        return "not computed"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        text = f"{v:.4g}"
        return "0" if text == "-0" else text
    return str(v)


_ENCODINGS = {  # the words of the service's HTML report (local/analysis/labels.py)
    "legacy": "a comma-key coefficient dictionary (the 'legacy' wire encoding)",
    "factored_v1": "low-rank factors F diag(s) F^T + diag(d) (the 'factored_v1' encoding)",
}
_TIERS = {
    "exact": "all 2^n energies enumerated (optimum, gap and degeneracy exact)",
    "heuristic": "too many variables to enumerate; optimum, gap and degeneracy not computed, "
                 "best energy from heuristics",
}
@dataclass(eq=False)
class CharacterizationResult:
    """What the service said about one problem, plus what this client sent.

    Attributes:
        job_id (str): the characterization job (fetch it again with ``characterize(job_id=)``).
        status (str): ``"COMPLETED"``.
        hardness (dict | None): the hardness analysis (preset ``"deep"`` only, like the cloud).
        report (dict | None): the analysis report; the local service adds ``report["local"]``.
        recommendations (list[dict]): ``level``/``metric``/``text``/``html`` items (never None).
        created_at, completed_at (str | None): ISO timestamps.
        problem (Problem | None): the canonical problem sent (None after a bare fetch).
        encoding (str | None): ``"legacy"`` or ``"factored_v1"``.
        lossy_encoding (bool): a truncated factored payload was sent (<= 1e-3 relative error).
        reference_states (tuple[str, ...]): the references sent.
        reference_source (str | None): ``"user"`` or how ``characterize`` chose them.
        raw (dict): the server's JSON as received.
    """

    job_id: str
    status: str
    hardness: dict | None = None
    report: dict | None = None
    recommendations: list[dict] = field(default_factory=list)
    created_at: str | None = None
    completed_at: str | None = None
    problem: Problem | None = None
    encoding: str | None = None
    lossy_encoding: bool = False
    reference_states: tuple[str, ...] = ()
    reference_source: str | None = None
    raw: dict = field(default_factory=dict, repr=False)
    _client: Any = field(default=None, repr=False)
    _html: str | None = field(default=None, repr=False)

    # -- problem context ----------------------------------------------------------------------
    @property
    def offset(self) -> float | None:
        """The constant term, not transmitted: the service's energies exclude it (§1.3)."""
        return self.problem.offset if self.problem is not None else None

    @property
    def variables(self) -> tuple | None:
        """Label of each bit position (character i of every bitstring)."""
        return self.problem.variables if self.problem is not None else None

    @property
    def local(self) -> dict | None:
        """The local engine's extra report (``report["local"]``), None from the cloud."""
        return _first(self.report, "local")

    @property
    def source(self) -> str:
        return "local" if self.raw.get("source") == "local" or self.local else "cloud"

    # -- hardness -----------------------------------------------------------------------------
    @property
    def difficulty(self) -> str | None:
        return _first(self.hardness, "difficulty")

    @property
    def hardness_score(self) -> float | None:
        """The local engine's 0-100 index (``method: local-v1``); the cloud has none."""
        return _first(self.hardness, "hardness_score")

    def _h(self, key: str, *older: str) -> Any:
        return _first(self.hardness, key, *older)

    @property
    def cost_gap(self) -> float | None:
        return self._h("cost_gap")

    @property
    def cost_gap_normalized(self) -> float | None:
        return self._h("cost_gap_normalized")

    @property
    def ground_state_degeneracy(self) -> int | None:
        return self._h("ground_state_degeneracy", "degeneracy")

    @property
    def treewidth_estimate(self) -> int | None:
        return self._h("treewidth_estimate")

    @property
    def frustration_index(self) -> float | None:
        return self._h("frustration_index")

    @property
    def global_flip_symmetric(self) -> bool | None:
        return self._h("global_flip_symmetric")

    # -- report -------------------------------------------------------------------------------
    def _r(self, key: str, *older: str) -> Any:
        return _first(self.report, key, *older)

    @property
    def quality_score(self) -> float | None:
        """The report's 0-100 score under whichever name the service used: the reference
        concentration score (current), else the formulation quality, else the older
        ``target_achievability`` / ``quality_at_best`` / ``quality_score``."""
        return self._r("reference_concentration_score", "formulation_quality",
                       "target_achievability", "quality_at_best", "quality_score")

    @property
    def formulation_quality(self) -> float | None:
        return self._r("formulation_quality")

    @property
    def reference_concentration_score(self) -> float | None:
        return self._r("reference_concentration_score")

    @property
    def regime(self) -> str | None:
        return self._r("regime")

    @property
    def confidence(self) -> str | None:
        return self._r("confidence")

    @property
    def refuse_reason(self) -> str | None:
        return self._r("refuse_reason")

    @property
    def certificate(self) -> dict | None:
        return self._r("certificate")

    @property
    def classical_baseline(self) -> dict | None:
        return self._r("classical_baseline")

    @property
    def relaxation_bound(self) -> float | None:
        return _first(self.classical_baseline, "relaxation_bound")

    @property
    def approximation_ratio(self) -> float | None:
        return self._r("approximation_ratio")

    @property
    def approximation_ratio_error_bound(self) -> float | None:
        return self._r("approximation_ratio_error_bound")

    @property
    def concentration_ratio(self) -> float | None:
        return self._r("concentration_ratio", "concentration_at_best")

    @property
    def best_parameters(self) -> dict | None:
        return self._r("best_parameters")

    @property
    def state_probabilities(self) -> list[dict] | None:
        return self._r("state_probabilities")

    @property
    def structural_sensitivity(self) -> list | None:
        return self._r("structural_sensitivity", "sensitivity")

    @property
    def feasibility_rate(self) -> float | None:
        return self._r("feasibility_rate")

    @property
    def penalty_recommendation(self) -> float | None:
        return self._r("penalty_recommendation")

    @property
    def is_well_tuned(self) -> bool | None:
        return _first(self._r("penalty_tuning"), "is_well_tuned")

    @property
    def best_energy(self) -> float | None:
        """Best energy the service found or proved, **with** the constant offset added back."""
        base = _first(self.classical_baseline, "exact_ground_energy", "best_energy")
        if base is None and self.local:
            spec = self.local.get("spectrum") or {}
            base = _first(spec, "energy_min") or _first(
                self.local.get("classical_baseline"), "best_energy")
        if base is None:
            return None
        return base + (self.offset or 0.0)

    def qaoa_initial_params(self, layers: int | None = None) -> np.ndarray | None:
        """``(1, 2p)`` array ``[gamma_0, beta_0, gamma_1, beta_1, ...]`` (§1.8).

        From ``ar_vs_depth`` when present (``layers`` default: ``recommended_min_layers``),
        else ``best_parameters`` repeated over ``layers`` (default 1), else None. Angles follow
        ``qml.qaoa.cost_layer``/``mixer_layer`` on the problem's own energy (the local engine's
        convention; the cloud's is not published).
        """
        curve = self._r("ar_vs_depth")
        if curve:
            p = layers or self._r("recommended_min_layers") or max(e["layers"] for e in curve)
            for entry in curve:
                if entry.get("layers") == p:
                    return np.array([[v for pair in zip(entry["gammas"], entry["betas"],
                                                        strict=True) for v in pair]])
            raise ValueError(f"no ar_vs_depth entry with layers={p}")
        best = self.best_parameters
        if not best or best.get("gamma") is None:
            return None
        return np.tile([best["gamma"], best["beta"]], (1, layers or 1)).astype(float)

    # -- rendering ----------------------------------------------------------------------------
    def summary(self) -> str:
        """A readable multi-line summary: every term says what it is, numbers are rounded as
        in the service's HTML report (4 significant digits, 0-100 scores as whole numbers)."""
        lines = [f"Characterization {self.job_id} ({self.status}, {self.source})"]
        lines += self._problem_lines()
        lines += self._hardness_lines()
        lines += self._qaoa_lines()
        if self.recommendations:
            lines.append("  recommendations (action: change the problem or the plan; warn: worth "
                         "checking; info: information):")
        for r in self.recommendations:
            lines.append(f"    [{r.get('level', '?')}] {r.get('text', '')}")
        stamps = [f"created {self.created_at}" if self.created_at else "",
                  f"completed {self.completed_at}" if self.completed_at else ""]
        if any(stamps):
            lines.append("  " + ", ".join(s for s in stamps if s))
        return "\n".join(lines)

    def _problem_lines(self) -> list[str]:
        lines = []
        if self.problem is not None:
            p = self.problem
            lines.append(f"  problem: {p.n} variables, {len(p.terms)} terms, degree {p.degree}, "
                         f"from {p.source}; sent as "
                         + _ENCODINGS.get(self.encoding or "", str(self.encoding))
                         + (" (lossy, <= 1e-3 relative error)" if self.lossy_encoding else ""))
            if p.offset:
                lines.append(f"  constant offset {_num(p.offset)} not sent: service energies "
                             "exclude it (best_energy adds it back)")
        if self.reference_states:
            refs = ", ".join(self.reference_states[:4]) + (
                " ..." if len(self.reference_states) > 4 else "")
            lines.append(f"  reference states ({self.reference_source}): {refs}")
        tier = _first(self.local, "tier")
        if tier in _TIERS:
            lines.append(f"  tier: {tier}: {_TIERS[tier]}")
        return lines

    def _hardness_lines(self) -> list[str]:
        if not self.hardness:
            return ["  hardness: not requested (preset='deep' runs it)"]
        score = self.hardness_score
        reason = _first(self.hardness, "difficulty_reason")
        lines = [f"  difficulty (of finding the optimum classically): {self.difficulty}"
                 + (f": {reason}" if reason else "")
                 + (f" [hardness index {score:.0f}/100, local-v1]"
                    if score is not None and "hardness index" not in (reason or "") else "")]
        gap, gap_n = self.cost_gap, self.cost_gap_normalized
        lines.append(f"  spectrum: gap to the first excited level {_num(gap)}"
                     + (f" ({_num(gap_n)} of the energy range)" if gap_n is not None else "")
                     + f"; optimal assignments {_num(self.ground_state_degeneracy)}; treewidth "
                     f"estimate {_num(self.treewidth_estimate)}"
                     + ("; gap and optimal assignments need the exact spectrum"
                        if gap is None and self.ground_state_degeneracy is None else ""))
        return lines

    def _best_energy_line(self) -> str | None:
        if self.best_energy is None:
            return None
        base = self.classical_baseline or _first(self.local, "classical_baseline") or {}
        if _first(base, "exact_ground_energy") is not None or _first(
                _first(self.local, "spectrum"), "energy_min") is not None:
            how = "the optimum, exact"
        elif base.get("proven_optimal"):
            how = "proven optimal"
        elif _first(base, "lower_bound", "relaxation_bound") is not None:
            bound = _first(base, "lower_bound", "relaxation_bound") + (self.offset or 0.0)
            how = f"best found, not proven optimal: lower bound {_num(bound)}"
        else:
            how = "best found"
        return f"  best energy: {_num(self.best_energy)} ({how}; offset included)"

    def _qaoa_lines(self) -> list[str]:
        lines = [x for x in (self._best_energy_line(),) if x]
        lines.append("  p=1 evaluation: " + regime_text(
            self.regime, self.confidence, self.refuse_reason,
            _first(_first(self.local, "qaoa"), "method")))
        bp = self.best_parameters
        if bp:
            lines.append(f"    best angles: gamma={_num(bp.get('gamma'))}, "
                         f"beta={_num(bp.get('beta'))}, <C> = {_num(bp.get('expectation'))}")
        ar, err = self.approximation_ratio, self.approximation_ratio_error_bound
        interval = _first(_first(self.local, "qaoa"), "approximation_ratio_interval")
        shown = (f"between {_num(interval[0])} and {_num(interval[1])} (C_min and C_max "
                 "estimated)" if ar is None and interval and None not in interval
                 else _num(ar) + (f" +/- {err:.2g}" if ar is not None and err else ""))
        lines.append(f"    approximation ratio (C_max - <C>) / (C_max - C_min), 1 = always "
                     f"optimal: {shown}")
        why = ("" if self.concentration_ratio is not None or not self.local else
               " (needs the p=1 state probabilities: at most 20 variables and a parameter sweep)")
        lines.append("    concentration ratio (probability of the reference states / their "
                     "uniform share |refs|/2^n, 1 = like guessing): "
                     f"{_num(self.concentration_ratio)}{why}")
        rcs = self.reference_concentration_score
        lines.append("    reference concentration score (0-100, log2 of the concentration "
                     f"ratio / log2(2^n/|refs|)): {_num(rcs) if rcs is None else f'{rcs:.0f}'}")
        fq = self.formulation_quality
        if fq is not None:
            lines.append(f"    formulation quality (0-100: balance, gap, density, degeneracy; "
                         f"local-v1): {fq:.0f}")
        return lines

    __str__ = summary

    def __repr__(self) -> str:
        return (f"CharacterizationResult(job_id={self.job_id!r}, status={self.status!r}, "
                f"difficulty={self.difficulty!r}, source={self.source!r})")

    def html(self) -> str:
        """The service's HTML report, fetched on first use and cached (one request).

        Raises:
            QoroError: the HTML could not be fetched (nothing is cached then).
        """
        if self._html is None:
            if self._client is None:
                raise RuntimeError("this result has no client to fetch its HTML report with")
            self._html = self._client.validation_html(self.job_id)
        return self._html

    def _repr_html_(self) -> str:
        """Jupyter display: the server's fragment (lazily fetched once), else the summary."""
        try:
            return self.html()
        except (QoroError, RuntimeError) as exc:
            log.warning("HTML report of job %s unavailable: %s", self.job_id, exc)
            return f"<pre>{html.escape(self.summary())}</pre>"

    def to_dict(self) -> dict:
        """A JSON-ready export: the server's result plus the client-side context."""
        out = dict(self.raw) or {
            "job_id": self.job_id, "status": self.status, "hardness": self.hardness,
            "report": self.report, "recommendations": self.recommendations,
            "created_at": self.created_at, "completed_at": self.completed_at}
        out["client"] = {
            "encoding": self.encoding, "lossy_encoding": self.lossy_encoding,
            "reference_states": list(self.reference_states),
            "reference_source": self.reference_source,
            "offset": self.offset,
            "variables": [repr(v) for v in self.variables] if self.variables else None,
        }
        return out
