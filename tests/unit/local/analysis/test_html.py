"""The HTML fragment (local/analysis/html.py): self-contained and escaped."""

from __future__ import annotations

import math
from html.parser import HTMLParser

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
        assert f"Hardness {score:.0f}/100 (" in page
        assert f"Hardness {score:.6g}/100" not in page or float(f"{score:.6g}").is_integer()

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
