"""HTML fragment of a characterization result (characterization.md §1.8, §3.12).

Owns :func:`render_html`: a self-contained fragment (inline CSS and SVG, no script, no external
asset) whose root element has ``class="qvr-root"``, as the cloud's. Every piece of text that
reaches the page goes through :func:`html.escape`, including recommendation messages (rendered
from their plain ``text``), the job tag and any free-text option echoed in the notes.

Imports the standard library only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

_CSS = """
.qvr-root{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;
max-width:980px;line-height:1.4;font-size:14px}
.qvr-root h2{font-size:20px;margin:0 0 4px}.qvr-root h3{font-size:15px;margin:18px 0 6px}
.qvr-root .qvr-meta{color:#52606d;font-size:12px}
.qvr-root .qvr-cards{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.qvr-root .qvr-card{border:1px solid #d9e2ec;border-radius:6px;padding:6px 10px;min-width:120px}
.qvr-root .qvr-card b{display:block;font-size:16px}
.qvr-root .qvr-card span{color:#52606d;font-size:11px}
.qvr-root table{border-collapse:collapse;font-size:12px;margin:4px 0}
.qvr-root td,.qvr-root th{border-bottom:1px solid #e4e7eb;padding:2px 8px;text-align:left}
.qvr-root code{font-family:ui-monospace,Menlo,Consolas,monospace}
.qvr-root .qvr-bar{display:inline-block;height:9px;background:#3e7cb1;vertical-align:middle}
.qvr-root .qvr-rec{margin:3px 0;padding:3px 8px;border-left:4px solid #9aa5b1}
.qvr-root .qvr-action{border-color:#d64545}.qvr-root .qvr-warn{border-color:#e8a33d}
.qvr-root .qvr-info{border-color:#3e7cb1}
.qvr-root .qvr-easy{color:#1f7a3d}.qvr-root .qvr-moderate{color:#b7791f}
.qvr-root .qvr-hard{color:#c53030}
"""


def _e(value: Any) -> str:
    """Escaped text of any value (None shows as an em dash)."""
    if value is None:
        return "&mdash;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return html.escape(f"{value:.6g}")
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Cells of ``rows`` must already be escaped HTML."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(pairs: Iterable[tuple[str, Any]]) -> str:
    return _table(("metric", "value"), ((html.escape(k), _e(v)) for k, v in pairs))


def _card(label: str, value: Any, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<div class="qvr-card"><b{klass}>{_e(value)}</b><span>{html.escape(label)}</span></div>'


def _colour(t: float) -> str:
    """Blue (low energy) to red (high), t in [0, 1]."""
    t = min(1.0, max(0.0, t))
    r, g, b = (int(62 + t * (214 - 62)), int(124 + t * (69 - 124)), int(177 + t * (69 - 177)))
    return f"rgb({r},{g},{b})"


def _histogram_svg(spec: dict, refs: Sequence[dict]) -> str:
    edges, counts = spec["histogram"]["edges"], spec["histogram"]["counts"]
    w, h, pad = 520, 140, 20
    top = max(math.log10(c + 1) for c in counts) or 1.0
    lo, hi = edges[0], edges[-1]
    span = (hi - lo) or 1.0
    bw = (w - 2 * pad) / len(counts)
    parts = [f'<svg width="{w}" height="{h + 30}" role="img" aria-label="density of states">']
    for i, c in enumerate(counts):
        bh = (h - pad) * math.log10(c + 1) / top
        parts.append(f'<rect x="{pad + i * bw:.1f}" y="{h - bh:.1f}" width="{bw - 1:.1f}" '
                     f'height="{bh:.1f}" fill="#9fb3c8"/>')
    for r in refs:
        if r.get("energy") is None:
            continue
        x = pad + (w - 2 * pad) * (r["energy"] - lo) / span
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{pad}" y2="{h}" stroke="#e8a33d" '
                     f'stroke-width="2"><title>reference {_e(r["state"])}</title></line>')
    parts.append(f'<line x1="{pad}" x2="{pad}" y1="{pad}" y2="{h}" stroke="#1f7a3d" '
                 'stroke-width="3"><title>optimum</title></line>')
    parts.append(f'<text x="{pad}" y="{h + 16}" font-size="11">{_e(lo)}</text>'
                 f'<text x="{w - pad}" y="{h + 16}" font-size="11" text-anchor="end">'
                 f'{_e(hi)}</text></svg>')
    return "".join(parts)


def _landscape_svg(land: dict, best: dict | None) -> str:
    sg = max(1, -(-len(land["gammas"]) // 32))  # at most 32 x 16 cells: the page stays small
    sb = max(1, -(-len(land["betas"]) // 16))
    g, b = land["gammas"][::sg], land["betas"][::sb]
    V = [row[::sb] for row in land["expectation"][::sg]]
    vals = [v for row in V for v in row if v is not None]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    cw, ch = 420 / len(g), 210 / len(b)
    parts = ['<svg width="470" height="250" role="img" aria-label="p=1 landscape">']
    for i, row in enumerate(V):
        for j, v in enumerate(row):
            if v is None:
                continue
            parts.append(f'<rect x="{40 + i * cw:.2f}" y="{j * ch:.2f}" width="{cw + 0.3:.2f}" '
                         f'height="{ch + 0.3:.2f}" fill="{_colour((v - lo) / span)}"/>')
    gmax = land["gammas"][-1]
    if best and gmax > 0 and best.get("gamma") is not None:
        x = 40 + 420 * min(1.0, best["gamma"] / gmax)
        y = 210 * (best["beta"] % math.pi) / math.pi
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="none" stroke="#fff" '
                     'stroke-width="2"><title>best angles</title></circle>')
    parts.append('<text x="250" y="232" font-size="11" text-anchor="middle">gamma</text>'
                 '<text x="14" y="105" font-size="11" transform="rotate(-90 14 105)">beta'
                 '</text></svg>')
    return "".join(parts)


def _recommendations(recs: Sequence[dict]) -> str:
    items = []
    for r in recs:
        level = r.get("level") if r.get("level") in ("info", "warn", "action") else "info"
        items.append(f'<div class="qvr-rec qvr-{level}"><b>{_e(level)}</b> {_e(r.get("text"))}'
                     f' <span class="qvr-meta">[{_e(r.get("metric"))} = {_e(r.get("value"))}]'
                     "</span></div>")
    return "".join(items) or '<p class="qvr-meta">No recommendation fired.</p>'


def _references(rows: Sequence[dict]) -> str:
    body = []
    for r in rows:
        rank = r.get("rank")
        if rank is None and r.get("percentile_below") is not None:
            rank = f"~{100 * r['percentile_below']:.1f}% below (estimated)"
        body.append([f"<code>{_e(r.get('state'))}</code>", _e(r.get("energy")), _e(rank),
                     _e(r.get("gap_to_optimum")), _e(r.get("hamming_to_ground")),
                     _e(r.get("local_minimum")), _e(r.get("feasible")),
                     _e(r.get("qaoa_probability"))])
    return _table(("state", "energy", "rank", "gap", "Hamming to optimum", "local min",
                   "feasible", "P(p=1)"), body)


def _probabilities(rows: Sequence[dict], n: int) -> str:
    top = max((r["probability"] for r in rows), default=0.0) or 1.0
    body = []
    for r in rows[:24]:
        bar = f'<span class="qvr-bar" style="width:{120 * r["probability"] / top:.1f}px"></span>'
        body.append([f"<code>{_e(r['state'])}</code>", _e(r.get("is_reference")),
                     _e(r.get("energy")), f"{bar} {_e(r['probability'])}",
                     _e(r["probability"] * 2**n)])
    return _table(("state", "reference", "energy", "probability", "vs uniform"), body)


def render_html(result: dict, *, tag: str | None = None) -> str:
    """The report fragment of one stored result (``validation_result`` JSON)."""
    rep = result.get("report") or {}
    loc = rep.get("local") or {}
    hard = result.get("hardness")
    spec, s = loc.get("spectrum"), loc.get("structure") or {}
    base = loc.get("classical_baseline") or {}
    out = [f'<div class="qvr-root"><style>{_CSS}</style>',
           "<h2>QUBO characterization</h2>",
           f'<div class="qvr-meta">job {_e(result.get("job_id"))} &middot; '
           f'{_e(result.get("status"))} &middot; {_e(loc.get("engine"))} (local, '
           f'method {_e(loc.get("method"))}) &middot; preset {_e(loc.get("preset"))}'
           + (f" &middot; tag {_e(tag)}" if tag else "") + "</div>"]
    if not rep:
        out.append("<p>No report is stored for this job.</p></div>")
        return "".join(out)
    diff = hard.get("difficulty") if hard else None
    cards = [
        _card("variables", rep.get("num_qubits")), _card("terms", s.get("n_terms")),
        _card("tier", loc.get("tier")),
        _card("optimum" if spec else "best known energy",
              spec["energy_min"] if spec else base.get("best_energy")),
        _card("difficulty" if hard else "difficulty (preset deep)",
              diff if diff else "not requested",
              f"qvr-{diff}" if diff in ("easy", "moderate", "hard") else ""),
        _card("approximation ratio p=1", rep.get("approximation_ratio")),
        _card("concentration ratio", rep.get("concentration_ratio")),
        _card("regime", rep.get("regime")),
    ]
    out.append(f'<div class="qvr-cards">{"".join(cards)}</div>')
    out.append("<h3>Recommendations</h3>" + _recommendations(result.get("recommendations") or []))
    refs = loc.get("reference_states") or []
    out.append(f"<h3>Reference states ({_e(loc.get('reference_states_source'))})</h3>"
               + _references(refs))
    if spec:
        out.append("<h3>Energy spectrum (exact, log counts)</h3>" + _histogram_svg(spec, refs))
    if rep.get("energy_landscape"):
        out.append("<h3>p=1 QAOA landscape &lt;C&gt;(gamma, beta)</h3>"
                   + _landscape_svg(rep["energy_landscape"], rep.get("best_parameters")))
    if rep.get("best_parameters"):
        out.append(_kv(sorted(rep["best_parameters"].items())))
    if rep.get("state_probabilities"):
        out.append("<h3>State probabilities at the best p=1 angles</h3>"
                   + _probabilities(rep["state_probabilities"], rep.get("num_qubits") or 0))
    if hard:
        comps = hard.get("components") or {}
        score = hard.get("hardness_score")
        # rounded as the text summary rounds it (CharacterizationResult: "{score:.0f}/100")
        shown = f"{score:.0f}" if isinstance(score, int | float) else _e(score)
        out.append(f"<h3>Hardness {shown}/100 "
                   f"({_e(hard.get('difficulty_reason'))})</h3>"
                   + _table(("component", "raw", "score", "weight"),
                            ([_e(k), _e(v.get("raw")), _e(v.get("score")), _e(v.get("weight"))]
                             for k, v in comps.items())))
    out.append("<h3>Structure</h3>" + _kv(
        (k, s.get(k)) for k in ("n_variables", "n_couplings", "density", "degree_max",
                                "n_components", "weight_ratio", "treewidth_estimate",
                                "n_fixable", "global_flip_symmetric", "frustrated_triangles",
                                "correlation_length")))
    out.append("<h3>Classical baseline</h3>" + _kv(
        (k, base.get(k)) for k in ("greedy_energy", "sa_energy", "sa_success_rate",
                                   "best_energy", "lower_bound", "proven_optimal")))
    notes = list(loc.get("notes") or []) + [
        f"skipped {x.get('stage')}: {x.get('reason')}" for x in loc.get("skipped") or []]
    if notes:
        out.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(x)}</li>" for x in notes) + "</ul>")
    out.append(f'<p class="qvr-meta">created {_e(result.get("created_at"))} &middot; completed '
               f'{_e(result.get("completed_at"))} &middot; seed {_e(loc.get("seed"))} &middot; '
               "local-v1 scores are not comparable with the cloud's.</p></div>")
    return "".join(out)
