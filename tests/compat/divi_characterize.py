"""Drive the official qoro-divi characterization flow against a local service (in its venv).

Usage: ``python divi_characterize.py URL TOKEN`` prints one JSON object with what the official
client saw. As in divi_driver.py, the only change to the client is its ``API_URL`` module
attribute. Must not import pytest or anything from pennylane_qoro.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
from importlib.metadata import version

import numpy as np

URL, TOKEN = sys.argv[1], sys.argv[2]
VERSION = version("qoro-divi")
MODULE = ("divi.backends._qoro_service" if VERSION.startswith(("0.12", "0.13"))
          else "divi.backends.runners._qoro")
importlib.import_module(MODULE).API_URL = URL

from divi.backends import QoroService  # noqa: E402  (after pointing the client at URL)
from divi.backends.characterization import (  # noqa: E402
    CharacterizationOptions,
    characterize_and_validate,
    get_characterization_result,
)
from divi.qprog.problems import BinaryOptimizationProblem  # noqa: E402


def weighted_maxcut() -> np.ndarray:
    """Weighted MaxCut on a 5-cycle plus a chord, as a QUBO matrix (characterization.md §3.12)."""
    q = np.zeros((5, 5))
    for (i, j), w in {(0, 1): 2.0, (0, 2): 1.0, (0, 4): 2.0, (1, 2): 4.0,
                      (2, 3): 2.0, (3, 4): 3.0}.items():
        q[i, j] = w
    np.fill_diagonal(q, [-2.5, -3.0, -3.5, -2.5, -2.5])
    return q


def main() -> None:
    service = QoroService(auth_token=TOKEN, polling_interval=0.05)
    problem = BinaryOptimizationProblem(weighted_maxcut())
    res = characterize_and_validate(problem, ["10100"], service=service,
                                    options=CharacterizationOptions(preset="deep"))
    again = get_characterization_result(res.job_id, service=service)
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        res.display()
    print(json.dumps({
        "version": VERSION,
        "status": res.status,
        "difficulty": res.hardness["difficulty"],
        "energy_min": res.hardness["energy_min"],
        "n_recommendations": len(res.recommendations),
        "html_root": 'class="qvr-root"' in res.html,
        "refetch_equal": (again.report, again.hardness, again.recommendations)
        == (res.report, res.hardness, res.recommendations),
        "displayed": len(shown.getvalue()) > 0,
    }))


if __name__ == "__main__":
    main()
