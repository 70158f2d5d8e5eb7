"""Tests for pennylane_qoro.spelling: the near-miss suggestions of user-facing errors."""

from __future__ import annotations

from pennylane_qoro.spelling import closest, did_you_mean, unknown_options_message


class TestClosest:
    def test_a_typo_finds_the_name(self):
        """Test a one-letter typo, a transposition and a case difference."""
        assert closest("seeed", ["seed", "shots", "wires"]) == ["seed"]
        assert closest("timoeut", ["timeout", "target"]) == ["timeout"]
        assert closest("MPS", ["mps", "stabilizer"]) == ["mps"]

    def test_nothing_close_is_no_suggestion(self):
        """Test an unrelated word gets none (so the error does not guess wildly)."""
        assert closest("zzzz", ["seed", "shots"]) == []
        assert did_you_mean("https//x", ["local"]) == ""

    def test_did_you_mean_is_a_message_tail(self):
        """Test the sentence form, spelled as the valid choice."""
        assert did_you_mean("locl", ["local"]) == " Did you mean 'local'?"


def test_unknown_options_message_names_each_and_lists_the_valid():
    """Test several unknown options: each named, a suggestion where one is close."""
    text = unknown_options_message("dev", ["seeed", "qqq"], ["seed", "wires"])
    assert text == (
        "dev got unknown options 'seeed' (did you mean 'seed'?), 'qqq'. "
        "Valid options: seed, wires."
    )
