"""Smoke test of ``python -m bench small-calls`` (``bench/small_calls.py``): every row runs
against its peers and the goals are computed from them. Times are printed, never asserted;
what is asserted is what the rows count (requests per call through the relay)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("pennylane_lightning")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's bench/
from bench import small_calls

pytestmark = pytest.mark.slow


def test_every_row_runs_and_the_goals_are_judged(capsys) -> None:
    from pennylane_qoro.local import start

    warnings.filterwarnings("ignore")
    url, token = start()
    res = {"rtt": 0.01, "small": small_calls.small_call_rows(url, token, rounds=3)}
    res["dense"] = small_calls.dense_rows(url, token, rounds=3, only=("projector_8w",))
    res["proxy"] = small_calls.proxy_rows(url, token, 0.01, rounds=3)
    q = res["small"]["qnode_4q"]
    assert set(q) == {"qoro.maestro", "qoro.maestro (HTTP)", "default.qubit", "lightning.qubit"}
    assert all(v > 0 for row in res["small"].values() for v in row.values())
    assert set(res["dense"]["projector_8w"]) == {"qoro.maestro", "default.qubit"}
    assert res["proxy"]["call_requests"] <= 4 and res["proxy"]["grad_requests"] <= 8
    judged = dict(small_calls.goals(res))
    assert len(judged) == 5 and all(isinstance(v, bool) for v in judged.values())
    print(capsys.readouterr().out)
