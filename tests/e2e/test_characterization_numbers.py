"""Every number of ``validation_result/`` is a JSON number, for singular and non-singular QUBOs.

Against the schema of ../shared/characterization.md §2.2: ``hardness`` (``preset="deep"``)
carries ``matrix_spectral_gap`` and ``matrix_condition_number`` as numbers [C], and the fields
documented as always present (``n_variables``, ``n_terms``, ``density``, ``weight_range``,
``weight_ratio``) plus the spectrum fields (``cost_gap``, ``cost_gap_normalized``,
``ground_state_degeneracy``, ``energy_min``, ``energy_max``; the first three documented as
null above 18 variables); ``weight_range`` is a [min, max] pair of numbers. The body must
parse without NaN or Infinity anywhere. A singular matrix's condition number follows the
documented convention (``local/analysis/structure.py``: the condition number on the matrix's
range, finite).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import requests

from pennylane_qoro.local import LocalService

ALWAYS_NUMBERS = ("matrix_spectral_gap", "matrix_condition_number", "n_variables", "n_terms",
                  "density", "weight_ratio", "energy_min", "energy_max")
EXACT_NUMBERS = ("cost_gap", "cost_gap_normalized", "ground_state_degeneracy")  # n <= 18


def _wire(terms: dict[tuple[int, ...], float]) -> dict[str, float]:
    return {",".join(map(str, key)): value for key, value in terms.items()}


def _maxcut(n: int, edges: list[tuple[int, int]]) -> dict[tuple[int, ...], float]:
    terms: dict[tuple[int, ...], float] = {}
    for u, v in edges:  # -cut: -(x_u + x_v - 2 x_u x_v)
        terms[(u,)] = terms.get((u,), 0.0) - 1.0
        terms[(v,)] = terms.get((v,), 0.0) - 1.0
        terms[(u, v)] = terms.get((u, v), 0.0) + 2.0
    return terms


CASES = {
    # every MaxCut QUBO is singular: Q = L/2 - diag(deg)... has the all-ones direction
    "maxcut_triangle_singular": (3, _maxcut(3, [(0, 1), (1, 2), (0, 2)])),
    "maxcut_ring_20_singular": (20, _maxcut(20, [(i, (i + 1) % 20) for i in range(20)])),
    "nonsingular": (3, {(0,): 3.0, (1,): -2.0, (2,): 5.0, (0, 1): 1.0, (1, 2): -1.5}),
    "one_variable": (1, {(0,): -1.0}),
    "hubo": (4, {(0,): -1.0, (1,): 0.5, (0, 1, 2): 2.0, (2, 3): -1.0, (1, 2, 3): 1.5}),
}


def _no_constant(text: str) -> float:
    raise AssertionError(f"{text} in the JSON body")


def _characterize(service: LocalService, n: int, terms: dict) -> dict:
    headers = {"Authorization": f"Bearer {service.token}"}
    job = requests.post(f"{service.url}/job/init/", headers=headers, timeout=60,
                        json={"job_type": "VALIDATE", "tag": "numbers"}).json()["job_id"]
    r = requests.post(f"{service.url}/job/{job}/submit_qubo/", headers=headers, timeout=300,
                      json={"qubo": _wire(terms), "reference_states": ["0" * n],
                            "options": {"preset": "deep"}})
    assert r.status_code == 200, r.text
    text = requests.get(f"{service.url}/job/{job}/validation_result/", headers=headers,
                        timeout=60).text
    return json.loads(text, parse_constant=_no_constant)  # no NaN / Infinity anywhere


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@pytest.mark.parametrize("name", list(CASES))
def test_every_documented_number_is_a_json_number(service: LocalService, name: str) -> None:
    n, terms = CASES[name]
    body = _characterize(service, n, terms)
    assert body["status"] == "COMPLETED"
    hardness = body["hardness"]
    fields = ALWAYS_NUMBERS + (EXACT_NUMBERS if n <= 18 else ())
    wrong = {key: hardness.get(key) for key in fields if not _is_number(hardness.get(key))}
    assert not wrong, wrong
    low, high = hardness["weight_range"]  # [min, max] of the coefficients
    assert _is_number(low) and _is_number(high) and low <= high
    assert hardness["matrix_condition_number"] >= 1.0
    ratio = body["report"].get("concentration_ratio")
    assert ratio is None or _is_number(ratio)


def _matrix(n: int, terms: dict) -> np.ndarray:
    q = np.zeros((n, n))
    for key, w in terms.items():
        if len(key) == 1:
            q[key[0], key[0]] += w
        elif len(key) == 2:
            q[key[0], key[1]] += w / 2
            q[key[1], key[0]] += w / 2
    return q


@pytest.mark.parametrize("name", ["maxcut_triangle_singular", "nonsingular", "hubo"])
def test_the_condition_number_convention(service: LocalService, name: str) -> None:
    """max|lambda| / min nonzero |lambda| of Q (its degree <= 2 part for a HUBO): the usual
    condition number when Q is non-singular, the one on Q's range when it is singular."""
    n, terms = CASES[name]
    lam = np.abs(np.linalg.eigvalsh(_matrix(n, terms)))
    nonzero = lam[lam > 1e-9 * lam.max()]
    got = _characterize(service, n, terms)["hardness"]["matrix_condition_number"]
    assert got == pytest.approx(nonzero.max() / nonzero.min(), rel=1e-9)
    if name == "maxcut_triangle_singular":
        assert nonzero.size < n  # singular, and still a finite number
