"""HTML fragment of a characterization result (characterization.md §1.8, §3.12).

Owns :func:`render_html`: a self-contained fragment (inline CSS and SVG, no script, no external
asset) whose root element has ``class="qvr-root"``, as the cloud's. Every number is shown with
the report's one rounding rule (:func:`.labels.fmt`, the client's text summary uses the same)
and every term says what it is where it appears: the summary cards carry a one-line
explanation, the tables an explanation column, recommendations name the metric that fired
them in words. Every piece of text that reaches the page goes through :func:`html.escape`,
including recommendation messages (rendered from their plain ``text``), the job tag and any
free-text option echoed in the notes. The plots are in :mod:`.svg`.

Imports the standard library and this package's labels and plots only.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from ...protocol.characterization_text import regime_text
from .labels import (
    BASELINE_ROWS,
    CARD_HINTS,
    COMPONENTS,
    ENCODING_TEXT,
    STRUCTURE_ROWS,
    TIER_TEXT,
    fmt,
    fmt_score,
    metric_label,
)
from .svg import landscape_svg, spectrum_svg

_CSS = """
.qvr-root{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;
max-width:980px;line-height:1.4;font-size:14px}
.qvr-root h2{font-size:20px;margin:0 0 4px}.qvr-root h3{font-size:15px;margin:18px 0 6px}
.qvr-root .qvr-meta{color:#52606d;font-size:12px}
.qvr-root .qvr-cards{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.qvr-root .qvr-card{border:1px solid #d9e2ec;border-radius:6px;padding:6px 10px;width:210px}
.qvr-root .qvr-card b{display:block;font-size:16px}
.qvr-root .qvr-card span{display:block;font-size:12px}
.qvr-root .qvr-card small{display:block;color:#52606d;font-size:11px}
.qvr-root table{border-collapse:collapse;font-size:12px;margin:4px 0}
.qvr-root td,.qvr-root th{border-bottom:1px solid #e4e7eb;padding:2px 8px;text-align:left}
.qvr-root td.qvr-why{color:#52606d}
.qvr-root code{font-family:ui-monospace,Menlo,Consolas,monospace}
.qvr-root .qvr-bar{display:inline-block;height:9px;background:#3e7cb1;vertical-align:middle}
.qvr-root .qvr-rec{margin:3px 0;padding:3px 8px;border-left:4px solid #9aa5b1}
.qvr-root .qvr-action{border-color:#d64545}.qvr-root .qvr-warn{border-color:#e8a33d}
.qvr-root .qvr-info{border-color:#3e7cb1}
.qvr-root .qvr-easy{color:#1f7a3d}.qvr-root .qvr-moderate{color:#b7791f}
.qvr-root .qvr-hard{color:#c53030}
.qvr-root figure{margin:6px 0}.qvr-root figcaption{color:#52606d;font-size:12px;max-width:640px}
"""

_LEVELS = {"action": "action: change the problem or the plan",
           "warn": "warning: worth checking", "info": "information"}


def _e(value: Any) -> str:
    """Escaped display text of any value (the report's rounding, ``not computed`` for None)."""
    return html.escape(fmt(value))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Cells of ``rows`` must already be escaped HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _explained(rows: dict[str, tuple[str, str]], source: dict) -> str:
    """A (quantity, value, meaning) table of the ``rows`` keys present in ``source``."""
    return _table(("quantity", "value", "what it is"),
                  ((html.escape(label), _e(source.get(k)),
                    f'<span class="qvr-why">{html.escape(why)}</span>')
                   for k, (label, why) in rows.items() if k in source))


def _card(label: str, value: str, hint: str, cls: str = "") -> str:
    """A summary card: escaped ``value`` text, its label and a one-line explanation."""
    klass = f' class="{cls}"' if cls else ""
    return (f'<div class="qvr-card"><b{klass}>{html.escape(value)}</b>'
            f"<span>{html.escape(label)}</span><small>{html.escape(hint)}</small></div>")


def _ratio_value(rep: dict, loc: dict) -> str:
    ar = rep.get("approximation_ratio")
    interval = (loc.get("qaoa") or {}).get("approximation_ratio_interval")
    if ar is None and interval and None not in interval:
        return f"{fmt(interval[0])} to {fmt(interval[1])}"
    return fmt(ar)


def _cards(rep: dict, loc: dict, hard: dict | None) -> str:
    spec, s = loc.get("spectrum"), loc.get("structure") or {}
    base = loc.get("classical_baseline") or {}
    tier = loc.get("tier")
    diff = hard.get("difficulty") if hard else None
    if spec:
        best = ("optimum energy", fmt(spec["energy_min"]),
                f"exact: {spec['ground_state_degeneracy']} optimal assignment(s)")
    else:
        proven = base.get("proven_optimal")
        best = ("best energy found", fmt(base.get("best_energy")),
                "proven optimal" if proven else
                f"not proven optimal; lower bound {fmt(base.get('lower_bound'))}")
    q = loc.get("qaoa") or {}
    cards = [
        _card("variables, terms", f"{fmt(rep.get('num_qubits'))}, {fmt(s.get('n_terms'))}",
              f"sent as {ENCODING_TEXT.get(loc.get('encoding'), loc.get('encoding'))}"),
        _card("tier", fmt(tier), TIER_TEXT.get(tier, "")),
        _card(*best),
        _card("difficulty", diff or "not requested",
              hard.get("difficulty_reason") or "" if hard else "preset 'deep' computes it",
              f"qvr-{diff}" if diff in ("easy", "moderate", "hard") else ""),
        _card("p=1 approximation ratio", _ratio_value(rep, loc),
              CARD_HINTS["approximation_ratio"]
              + ("" if rep.get("approximation_ratio") is not None or
                 not q.get("approximation_ratio_interval") else
                 "; an interval: C_min and C_max are estimated")),
        _card("concentration ratio", fmt(rep.get("concentration_ratio")),
              CARD_HINTS["concentration_ratio"]),
        _card("reference concentration score",
              fmt_score(rep.get("reference_concentration_score"))
              + ("/100" if rep.get("reference_concentration_score") is not None else ""),
              CARD_HINTS["reference_concentration_score"]),
        _card("p=1 evaluation (regime)", fmt(rep.get("regime")),
              regime_text(rep.get("regime"), rep.get("confidence"), rep.get("refuse_reason"),
                          q.get("method"))),
    ]
    return f'<div class="qvr-cards">{"".join(cards)}</div>'


def _recommendations(recs: Sequence[dict]) -> str:
    items = []
    for r in recs:
        level = r.get("level") if r.get("level") in _LEVELS else "info"
        why = f"from: {metric_label(r.get('metric'))} = {fmt(r.get('value'))}"
        if r.get("threshold") is not None:
            why += f" (threshold {fmt(r.get('threshold'))})"
        items.append(f'<div class="qvr-rec qvr-{level}"><b title="{html.escape(_LEVELS[level])}"'
                     f'>{html.escape(level)}</b> {html.escape(str(r.get("text") or ""))}'
                     f' <span class="qvr-meta">{html.escape(why)}</span></div>')
    if not items:
        return '<p class="qvr-meta">No recommendation fired.</p>'
    legend = "; ".join(_LEVELS.values())
    return "".join(items) + f'<p class="qvr-meta">Levels: {html.escape(legend)}.</p>'


def _references(rows: Sequence[dict], n: int | None) -> str:
    body = []
    best = "the best known" if any(r.get("hamming_is_to_best_known") for r in rows) else \
        "the optimum"
    for r in rows:
        gap = r.get("gap_to_optimum")
        if gap is not None and abs(gap) <= 1e-9 * max(1.0, abs(r.get("energy") or 0.0)):
            gap = 0.0  # rounding noise of the energy evaluation
        rank = r.get("rank")
        if rank is None and r.get("percentile_below") is not None:
            rank = f"~{100 * r['percentile_below']:.1f}% of states lower (estimated)"
        else:
            rank = f"{rank} of 2^{n}" if rank is not None and n else rank
        body.append([f"<code>{_e(r.get('state'))}</code>", _e(r.get("energy")), _e(rank),
                     _e(gap), _e(r.get("hamming_to_ground")),
                     _e(r.get("local_minimum")),
                     "no penalty terms sent" if r.get("feasible") is None else _e(r["feasible"]),
                     _e(r.get("qaoa_probability"))])
    return _table(("state (character i = variable i)", "energy", "rank (1 = optimum)",
                   f"energy above {best}", f"bit flips to {best}", "no single flip improves",
                   "meets the penalty terms", "probability at the best p=1 angles"), body)


def _probabilities(rows: Sequence[dict], n: int) -> str:
    top = max((r["probability"] for r in rows), default=0.0) or 1.0
    body = []
    for r in rows[:24]:
        bar = f'<span class="qvr-bar" style="width:{120 * r["probability"] / top:.1f}px"></span>'
        body.append([f"<code>{_e(r['state'])}</code>", _e(r.get("is_reference")),
                     _e(r.get("energy")), f"{bar} {_e(r['probability'])}",
                     _e(r["probability"] * 2**n)])
    return _table(("state", "reference state", "energy", "probability",
                   "times the uniform probability 1/2^n"), body)


def _hardness(hard: dict) -> str:
    comps = hard.get("components") or {}
    rows = [[html.escape(COMPONENTS.get(k, (k, ""))[0]),
             f'<span class="qvr-why">{html.escape(COMPONENTS.get(k, ("", ""))[1])}</span>',
             _e(v.get("raw")), _e(v.get("score")), _e(v.get("weight")),
             f"<code>{_e(v.get('formula'))}</code>"] for k, v in comps.items()]
    rows += [[html.escape(COMPONENTS.get(k, (k, ""))[0]), html.escape(f"not computed: {why}"),
              "", "", "left out", "the other weights are renormalised"]
             for k, why in (hard.get("components_missing") or {}).items()]
    diff = hard.get("difficulty")
    return (f"<h3>Hardness index {fmt_score(hard.get('hardness_score'))}/100 "
            f"({html.escape(str(hard.get('method') or ''))})</h3>"
            f'<p>Difficulty <b class="qvr-{html.escape(str(diff))}">{_e(diff)}</b>: '
            f"{_e(hard.get('difficulty_reason'))}. The index rates finding the optimum "
            "classically: 100 times the weighted mean of the component scores (each 0 = easy to "
            "1 = hard).</p>"
            + _table(("component", "what it measures", "raw value", "score (0-1)", "weight",
                      "score formula"), rows))


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _plots(rep: dict, loc: dict, refs: Sequence[dict]) -> list[str]:
    out = []
    spec = loc.get("spectrum")
    if spec:
        out.append("<h3>Energy spectrum (exact)</h3>" + _figure(
            spectrum_svg(spec, refs),
            "How many of the 2^n states have each energy (40 bins, log count axis). The green "
            "line is the optimum, dashed orange lines the reference states."))
    land = rep.get("energy_landscape")
    if land:
        svg = landscape_svg(land, rep.get("best_parameters"))
        if svg:
            out.append("<h3>p=1 QAOA landscape</h3>" + _figure(
                svg, "Expected energy <C> of the p=1 QAOA state over the angle grid (colour "
                     "scale on the right); the ringed point is the best pair of angles found."))
    return out


def render_html(result: dict, *, tag: str | None = None) -> str:
    """The report fragment of one stored result (``validation_result`` JSON)."""
    rep = result.get("report") or {}
    loc = rep.get("local") or {}
    hard = result.get("hardness")
    out = [f'<div class="qvr-root"><style>{_CSS}</style>',
           "<h2>QUBO characterization</h2>",
           f'<div class="qvr-meta">job {_e(result.get("job_id"))} &middot; '
           f'{_e(result.get("status"))} &middot; {_e(loc.get("engine"))} (local service, '
           f'method {_e(loc.get("method"))}) &middot; preset {_e(loc.get("preset"))}'
           + (f" &middot; tag {_e(tag)}" if tag else "") + "</div>"]
    if not rep:
        out.append("<p>No report is stored for this job.</p></div>")
        return "".join(out)
    out.append(_cards(rep, loc, hard))
    out.append("<h3>Recommendations</h3>" + _recommendations(result.get("recommendations") or []))
    refs = loc.get("reference_states") or []
    out.append(f"<h3>Reference states ({_e(loc.get('reference_states_source'))})</h3>"
               + _references(refs, rep.get("num_qubits")))
    out += _plots(rep, loc, refs)
    bp = rep.get("best_parameters")
    if bp:
        out.append("<h3>Best p=1 angles</h3>" + _explained({
            "gamma": ("\u03b3", "cost-layer angle (qml.qaoa.cost_layer on the problem's energy)"),
            "beta": ("\u03b2", "mixer-layer angle (qml.qaoa.mixer_layer)"),
            "expectation": ("<C>", "expected energy at these angles"),
            "probability": ("P(references)", "probability of the reference states"),
        }, bp))
    if rep.get("state_probabilities"):
        out.append("<h3>Most likely states at the best p=1 angles</h3>"
                   + _probabilities(rep["state_probabilities"], rep.get("num_qubits") or 0))
    if hard:
        out.append(_hardness(hard))
    out.append("<h3>Structure</h3>" + _explained(STRUCTURE_ROWS, loc.get("structure") or {}))
    out.append("<h3>Classical baseline</h3>"
               + _explained(BASELINE_ROWS, loc.get("classical_baseline") or {}))
    notes = list(loc.get("notes") or []) + [
        f"skipped {x.get('stage')}: {x.get('reason')}" for x in loc.get("skipped") or []]
    if notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(x)}</li>" for x in notes) + "</ul>")
    out.append(f'<p class="qvr-meta">created {_e(result.get("created_at"))} &middot; completed '
               f'{_e(result.get("completed_at"))} &middot; seed {_e(loc.get("seed"))} &middot; '
               "local-v1 scores are not comparable with the cloud's.</p></div>")
    return "".join(out)
