"""Words for the characterization report's ``regime`` field, shared by the service's HTML
report (``local/analysis/labels.py``) and the client's text summary
(``characterization/result.py``), so both say the same thing. Standard library only."""

from __future__ import annotations

__all__ = ["REFUSALS", "regime_text"]

#: ``refuse_reason`` -> why the p=1 expectation was not evaluated.
REFUSALS = {
    "mixer_not_supported_locally": "the XY mixer is not analysed by the local service",
    "walsh_expansion_too_large": "the Ising form of this HUBO is too large to expand",
    "closed_form_budget": "the closed form would need more memory than its budget",
    "hubo_beyond_statevector": "a HUBO above 20 variables needs a statevector the service "
                               "does not simulate",
}


def regime_text(regime: str | None, confidence: str | None, reason: str | None,
                method: str | None = None) -> str:
    """What the ``regime`` field says about how the p=1 expectation <C> was obtained.

    >>> regime_text("exact", None, None, "closed_form_p1").split(";")[0]
    '<C> at p=1 computed exactly (closed form)'
    >>> regime_text("refuse", None, "closed_form_budget")
    'p=1 QAOA not evaluated: the closed form would need more memory than its budget'
    """
    if regime is None:
        return "p=1 QAOA not evaluated"
    if regime == "refuse":
        return "p=1 QAOA not evaluated: " + REFUSALS.get(reason or "", reason or "refused")
    how = {"closed_form_p1": "closed form", "statevector": "statevector simulation"}.get(
        method or "", method)
    what = "<C> at p=1 computed exactly" if regime == "exact" else f"<C> at p=1: regime {regime}"
    text = (what + (f" ({how})" if how else "")
            + (f", confidence {confidence}" if confidence else ""))
    return text + "; this is about the QAOA expectation, not about the optimum"
