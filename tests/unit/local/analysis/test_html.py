"""The HTML fragment (local/analysis/html.py): self-contained and escaped."""

from __future__ import annotations

import html
import itertools
import math
import re
from html.parser import HTMLParser

import numpy as np

from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.html import render_html
from pennylane_qoro.local.analysis.submission import parse_submission

from .oracles import CYCLE5


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


class TestHtml:
    def _result(self, **extra):
        resp = analyze(parse_submission(
            {"qubo": CYCLE5, "reference_states": ["10100"], "options": {"preset": "deep"}}))
        return {"job_id": "j-1", "status": "COMPLETED", "created_at": "t0", "completed_at": "t1",
                **resp, **extra}

    def test_hardness_is_rounded_like_the_text_summary(self):
        """Test the heading shows the score as the summary does (``17/100``, not
        ``16.7526/100``): the same rounding in text and HTML."""
        result = self._result()
        score = result["hardness"]["hardness_score"]
        page = render_html(result)
        assert f"Hardness index {score:.0f}/100 (" in page
        assert f"{score:.6g}/100" not in page or float(f"{score:.6g}").is_integer()

    def test_fragment_parses_and_is_self_contained(self):
        """Test the root class, no script and no external asset."""
        page = render_html(self._result())
        p = _Tags()
        p.feed(page)
        p.close()
        assert p.tags[0] == ("div", {"class": "qvr-root"})
        names = {t for t, _ in p.tags}
        assert "script" not in names and "svg" in names and "table" in names
        for _, attrs in p.tags:
            assert not any(k in ("src", "href") for k in attrs)

    def test_hostile_text_is_escaped(self):
        """Test that a hostile tag, job id and recommendation text are rendered as text."""
        evil = '<script>alert("x")</script><img src=x onerror=1>'
        result = self._result(job_id=evil)
        result["recommendations"].append({"level": "warn", "metric": evil, "text": evil,
                                          "html": evil, "value": evil})
        result["report"]["local"]["notes"].append(evil)
        page = render_html(result, tag=evil)
        p = _Tags()
        p.feed(page)
        assert not any(t in ("script", "img") for t, _ in p.tags)
        assert evil in "".join(p.text)  # shown verbatim as text
        assert math.isfinite(len(page))

    def test_unfinished_job_renders_without_report(self):
        """Test the fragment of a job that has no result yet."""
        page = render_html({"job_id": "j", "status": "PENDING", "report": None})
        assert 'class="qvr-root"' in page and "No report" in page


def _dense(n: int, seed: int) -> dict:
    """A dense random QUBO in wire form (every pair coupled)."""
    rng = np.random.default_rng(seed)
    q = {str(i): float(rng.normal()) for i in range(n)}
    q.update({f"{i},{j}": float(rng.normal()) for i in range(n) for j in range(i + 1, n)})
    return q


def _svg(page: str, name: str) -> str:
    start = page.index(f'<svg data-plot="{name}"')
    return page[start:page.index("</svg>", start)]


class TestTermsAndPlots:
    def _page(self):
        resp = analyze(parse_submission(
            {"qubo": CYCLE5, "reference_states": ["10100"], "options": {"preset": "deep"}}))
        result = {"job_id": "j-1", "status": "COMPLETED", **resp}
        return result, render_html(result)

    def test_recommendations_name_their_metric_in_words(self):
        """Test no raw response path (``report.local.spectrum.energy_min``) reaches the page:
        each recommendation says which quantity fired it, in words, with its value."""
        result, page = self._page()
        for rec in result["recommendations"]:
            assert rec["metric"] not in page
        assert "from: optimum energy E* (exact enumeration) = -6" in page
        assert "report.local" not in page

    def test_terms_are_explained_where_they_appear(self):
        """Test the cards and tables carry their explanation next to the number."""
        _, page = self._page()
        for words in ("comma-key coefficient dictionary (the &#x27;legacy&#x27; wire encoding)",
                      "P(reference states) at the best p=1 angles / their share",
                      "0-100: log2(concentration ratio)",
                      "this is about the QAOA expectation, not about the optimum",
                      "exact tier: all 2^n energies enumerated",
                      "max |w| / min |w| over the non-zero coefficients",
                      "share of annealing replicas that reach the best energy"):
            assert words in page, words
        for raw in ("sa_success_rate", "weight_ratio", "n_couplings", "concentration_ratio<"):
            assert f"<td>{raw}" not in page

    def test_spectrum_plot_has_axes_ticks_and_a_legend(self):
        """Test the density-of-states plot: a y axis with count ticks, x ticks in energy, both
        axis titles, and a legend naming the bars, the optimum and the reference."""
        _, page = self._page()
        svg = _svg(page, "spectrum")
        assert "number of states (log scale)" in svg and "energy E(x) of a state" in svg
        assert ">0</text>" in svg and ">1</text>" in svg and ">10</text>" in svg  # y ticks
        assert ">-6</text>" in svg and ">-4</text>" in svg  # x ticks
        for words in ("states per energy bin", "optimum E* = -6", "reference 10100 (-5)"):
            assert words in svg
        assert "<title>" not in svg  # nothing is explained only in a tooltip

    def test_landscape_has_ticks_a_colour_scale_a_legend_and_no_seams(self):
        """Test the heat map: tick values on both axes, a colour bar with values, the best
        angles named in a legend, and whole-pixel cells that tile without gaps."""
        result, page = self._page()
        svg = _svg(page, "landscape")
        assert "\u03b3 (cost-layer angle)" in svg and "\u03b2 (mixer-layer angle)" in svg
        assert "\u03c0/2</text>" in svg and ">0.5</text>" in svg
        assert "&lt;C&gt;, lower is better" in svg
        best = result["report"]["best_parameters"]
        assert f"best angles \u03b3* = {best['gamma']:.4g}" in svg
        assert 'shape-rendering="crispEdges"' in svg
        cells = re.findall(r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" '
                           r'fill="rgb', svg)
        heat = [tuple(map(int, c)) for c in cells if int(c[2]) > 0 and int(c[0]) < 520]
        assert len(heat) > 100
        for pos, size in ((0, 2), (1, 3)):  # columns, then rows
            sizes = {c[pos]: c[size] for c in heat}
            starts = sorted(sizes)
            assert len({(c[pos], c[size]) for c in heat}) == len(starts)  # one size per line
            for a, b in itertools.pairwise(starts):  # each cell ends where the next begins
                assert sizes[a] == b - a, (a, b)

    def test_text_and_html_round_alike(self):
        """Test the numbers the text summary and the page both show are the same strings."""
        from pennylane_qoro.characterization import CharacterizationResult

        result, page = self._page()
        text = str(CharacterizationResult(**result, raw=result))
        rep, hard = result["report"], result["hardness"]
        shown = [f"{rep['approximation_ratio']:.4g}", f"{rep['concentration_ratio']:.4g}",
                 f"{rep['best_parameters']['gamma']:.4g}", f"{rep['best_parameters']['beta']:.4g}",
                 f"{hard['hardness_score']:.0f}/100"]
        for s in shown:
            assert s in text and s in page, s
        assert f"{hard['hardness_score']:.6g}" not in page


class TestDifficultyFollowsWhatWasComputed:
    def test_heuristic_tier_says_what_the_label_rests_on(self):
        """Test a dense random QUBO above the exact tier: the label comes from the score over
        the components computed, names the missing one and bounds its effect; the page shows
        it beside the difficulty and says the regime is about <C>, not the optimum."""
        resp = analyze(parse_submission({"qubo": _dense(24, 3), "reference_states": [],
                                         "options": {"preset": "deep"}}))  # above n = 22
        hard = resp["hardness"]
        assert hard["difficulty_basis"] == "score" and hard["cost_gap"] is None
        assert set(hard["components_missing"]) == {"gap"}
        lo, hi = hard["hardness_score_range"]
        assert lo <= hard["hardness_score"] <= hi
        reason = hard["difficulty_reason"]
        assert "from 5 of 6 components" in reason and "not computed: gap (" in reason
        assert f"{lo:.0f}-{hi:.0f}" in reason
        page = render_html({"job_id": "j", "status": "COMPLETED", **resp})
        assert html.escape(reason) in page
        assert "not proven optimal; lower bound" in page
        assert "not computed: gap" in page

    def test_certificate_and_cheap_exact_cost_are_named(self):
        """Test the two labels that come before any score say so."""
        resp = analyze(parse_submission(
            {"qubo": CYCLE5, "reference_states": [], "options": {"preset": "deep"}}))
        assert resp["hardness"]["difficulty_basis"] == "certificate"
        assert resp["hardness"]["difficulty_reason"].startswith("certificate: ")
        assert resp["hardness"]["components_missing"] == {}
