"""The report's two plots as inline SVG: the density of states and the p=1 landscape.

Owns :func:`spectrum_svg` (bars of states per energy bin on a log count axis, the optimum and
the reference energies as marked lines, both axes with tick values and titles, a legend) and
:func:`landscape_svg` (a heat map of <C>(gamma, beta) on whole-pixel cells with crisp edges,
so no seam shows between cells; tick values on both axes, a colour scale with its values, the
best angles marked and named in a legend). Plain SVG elements only: no script, no external
asset. Each plot carries ``data-plot`` so a test can find its box on the rendered page.

Imports the standard library and this package's labels only.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from .labels import fmt

_FONT = 'font-size="11" fill="#1f2933"'
# viridis at five stops: low <C> (better) dark, high <C> light
_VIRIDIS = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


def _t(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" {_FONT} text-anchor="{anchor}"{extra}>'
            f"{html.escape(text)}</text>")


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, k = [], 0
    while first + k * step <= hi + 1e-9 * step:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


def viridis(t: float) -> str:
    """The colour of t in [0, 1] (piecewise linear through five viridis stops)."""
    t = min(1.0, max(0.0, t)) * (len(_VIRIDIS) - 1)
    i = min(int(t), len(_VIRIDIS) - 2)
    f = t - i
    a, b = _VIRIDIS[i], _VIRIDIS[i + 1]
    return "rgb({},{},{})".format(*(round(a[k] + f * (b[k] - a[k])) for k in range(3)))


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> str:
    """Legend row: (swatch markup at (0, 0)-(14, 10), label)."""
    parts, cx = [], x
    for swatch, label in items:
        parts.append(f'<g transform="translate({cx:.1f},{y - 9:.1f})">{swatch}</g>')
        parts.append(_t(cx + 18, y, label, "start"))
        cx += 26 + 6.2 * len(label)
    return "".join(parts)


def spectrum_svg(spec: dict, refs: Sequence[dict]) -> str:
    """Density of states: states per energy bin (log axis), optimum and references marked."""
    edges, counts = spec["histogram"]["edges"], spec["histogram"]["counts"]
    W, H, L, R, T, B = 640, 290, 64, 16, 40, 48
    pw, ph = W - L - R, H - T - B
    pad = 0.02 * ((edges[-1] - edges[0]) or 1.0)  # the optimum line stays off the y axis
    lo, hi = edges[0] - pad, edges[-1] + pad
    span = hi - lo
    top = max(1, math.ceil(math.log10(max(counts) + 1)))  # counts <= 10^top - 1
    ymax = math.log10(10**top + 1)

    def X(e: float) -> float:
        return L + pw * (e - lo) / span

    def Y(c: float) -> float:
        return T + ph - ph * math.log10(c + 1) / ymax

    out = [f'<svg data-plot="spectrum" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'role="img" aria-label="density of states: number of states per energy bin">']
    for k in range(top + 2):  # y ticks at 0, 1, 10, 100, ... (the axis is log10(1 + count))
        c = 0 if k == 0 else 10 ** (k - 1)
        y = Y(c)
        out.append(f'<line x1="{L}" x2="{L + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        out.append(_t(L - 6, y + 4, f"{c:,}", "end"))
    bw = X(edges[1]) - X(edges[0])
    for i, c in enumerate(counts):
        y = Y(c)
        out.append(f'<rect x="{X(edges[i]):.1f}" y="{y:.1f}" width="{max(bw - 1, 0.5):.1f}" '
                   f'height="{T + ph - y:.1f}" fill="#9fb3c8"/>')
    for e in nice_ticks(lo, hi):
        x = X(e)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T + ph}" y2="{T + ph + 4}" '
                   'stroke="#1f2933"/>' + _t(x, T + ph + 16, fmt(float(e))))
    shown = [r for r in refs if r.get("energy") is not None][:3]
    for r in shown:
        x = X(r["energy"])
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{T + ph}" stroke="#e8a33d" '
                   'stroke-width="2" stroke-dasharray="5 3"/>')
    x0 = X(spec["energy_min"])
    out.append(f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="{T}" y2="{T + ph}" stroke="#1f7a3d" '
               'stroke-width="3"/>')
    out.append(f'<path d="M{L} {T}V{T + ph}H{L + pw}" fill="none" stroke="#1f2933"/>')
    out.append(_t(L + pw / 2, H - 8, "energy E(x) of a state"))
    out.append(_t(14, T + ph / 2, "number of states (log scale)", "middle",
                  f' transform="rotate(-90 14 {T + ph / 2:.1f})"'))
    items = [('<rect width="14" height="10" fill="#9fb3c8"/>', "states per energy bin"),
             ('<line x1="0" x2="14" y1="5" y2="5" stroke="#1f7a3d" stroke-width="3"/>',
              f"optimum E* = {fmt(spec['energy_min'])}")]
    if shown:
        names = ", ".join(f"{r['state'][:12]} ({fmt(r['energy'])})" for r in shown)
        items.append(('<line x1="0" x2="14" y1="5" y2="5" stroke="#e8a33d" stroke-width="2" '
                      'stroke-dasharray="5 3"/>', f"reference {names}"))
    out.append(_legend(L, 16, items))
    out.append("</svg>")
    return "".join(out)


def _cell_edges(values: Sequence[float], lo_px: float, hi_px: float) -> tuple[list[int], float,
                                                                              float]:
    """Whole-pixel cell edges around sample ``values`` (each cell centred on its value), and
    the value range [v_lo, v_hi] the edges span."""
    step = (values[-1] - values[0]) / (len(values) - 1) if len(values) > 1 else 1.0
    v_lo, v_hi = values[0] - step / 2, values[-1] + step / 2
    scale = (hi_px - lo_px) / (v_hi - v_lo)
    bounds = [v_lo + k * step for k in range(len(values) + 1)]
    return [round(lo_px + (b - v_lo) * scale) for b in bounds], v_lo, v_hi


def _beta_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    names = ("0", "\u03c0/4", "\u03c0/2", "3\u03c0/4", "\u03c0")
    return [(k * math.pi / 4, names[k]) for k in range(5) if lo <= k * math.pi / 4 <= hi]


def landscape_svg(land: dict, best: dict | None) -> str:
    """Heat map of the p=1 expectation <C>(gamma, beta) with axes, colour scale and best point."""
    sg = max(1, -(-len(land["gammas"]) // 48))  # at most 48 x 32 cells: the page stays small
    sb = max(1, -(-len(land["betas"]) // 32))
    gammas, betas = land["gammas"][::sg], land["betas"][::sb]
    grid = [row[::sb] for row in land["expectation"][::sg]]
    vals = [v for row in grid for v in row if v is not None]
    if not vals:
        return ""
    vmin, vmax = min(vals), max(vals)
    vspan = (vmax - vmin) or 1.0
    W, H, L, T, PW, PH = 640, 340, 64, 16, 440, 250
    xe, g_lo, g_hi = _cell_edges(gammas, L, L + PW)
    ye, b_lo, b_hi = _cell_edges(betas, T + PH, T)  # beta grows upward
    out = [f'<svg data-plot="landscape" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'role="img" aria-label="p=1 QAOA landscape: expectation of C over gamma and beta">',
           '<g shape-rendering="crispEdges">']
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v is None:
                continue
            out.append(f'<rect x="{xe[i]}" y="{ye[j + 1]}" width="{xe[i + 1] - xe[i]}" '
                       f'height="{ye[j] - ye[j + 1]}" fill="{viridis((v - vmin) / vspan)}"/>')
    out.append("</g>")

    def gx(g: float) -> float:
        return L + PW * (g - g_lo) / (g_hi - g_lo)

    def by(b: float) -> float:
        return T + PH - PH * (b - b_lo) / (b_hi - b_lo)

    for g in nice_ticks(max(0.0, g_lo), g_hi, 6):
        x = gx(g)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T + PH}" y2="{T + PH + 4}" '
                   'stroke="#1f2933"/>' + _t(x, T + PH + 16, fmt(float(g))))
    for b, name in _beta_ticks(b_lo, b_hi):
        y = by(b)
        out.append(f'<line x1="{L - 4}" x2="{L}" y1="{y:.1f}" y2="{y:.1f}" stroke="#1f2933"/>'
                   + _t(L - 7, y + 4, name, "end"))
    out.append(f'<rect x="{L}" y="{T}" width="{PW}" height="{PH}" fill="none" '
               'stroke="#1f2933"/>')
    out.append(_t(L + PW / 2, T + PH + 34, "\u03b3 (cost-layer angle)"))
    out.append(_t(16, T + PH / 2, "\u03b2 (mixer-layer angle)", "middle",
                  f' transform="rotate(-90 16 {T + PH / 2:.1f})"'))
    out.append(_colour_bar(L + PW + 24, T, PH, vmin, vmax))
    if best and best.get("gamma") is not None and best.get("beta") is not None:
        x = min(max(gx(best["gamma"]), L), L + PW)
        y = min(max(by(best["beta"] % math.pi), T), T + PH)
        ring = ('stroke="#ffffff" stroke-width="2.5" fill="none"/>'
                '<circle r="7" stroke="#000000" stroke-width="1" fill="none"/>')
        out.append(f'<g transform="translate({x:.1f},{y:.1f})"><circle r="6" {ring}</g>')
        label = (f"best angles \u03b3* = {fmt(best['gamma'])}, \u03b2* = {fmt(best['beta'])}"
                 + (f", <C> = {fmt(best['expectation'])}"
                    if best.get("expectation") is not None else ""))
        swatch = ('<rect width="14" height="12" y="-1" fill="#3b528b"/><circle cx="7" cy="5" '
                  'r="4" stroke="#ffffff" stroke-width="2" fill="none"/>')
        out.append(_legend(L, H - 8, [(swatch, label)]))
    out.append("</svg>")
    return "".join(out)


def _colour_bar(x: float, top: float, height: float, vmin: float, vmax: float) -> str:
    """Vertical colour scale: vmin at the bottom (dark), vmax at the top, with tick values."""
    steps = 50
    h = height / steps
    out = ['<g shape-rendering="crispEdges">']
    for k in range(steps):
        y0 = round(top + height - (k + 1) * h)
        y1 = round(top + height - k * h)
        out.append(f'<rect x="{x:.0f}" y="{y0}" width="16" height="{y1 - y0}" '
                   f'fill="{viridis((k + 0.5) / steps)}"/>')
    out.append(f'</g><rect x="{x:.0f}" y="{top}" width="16" height="{height}" fill="none" '
               'stroke="#1f2933"/>')
    span = (vmax - vmin) or 1.0
    for v in nice_ticks(vmin, vmax, 5):
        y = top + height - height * (v - vmin) / span
        out.append(f'<line x1="{x + 16:.0f}" x2="{x + 20:.0f}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#1f2933"/>' + _t(x + 23, y + 4, fmt(float(v)), "start"))
    out.append(_t(x + 8, top + height + 30, "<C>, lower is better", "middle"))
    return "".join(out)
