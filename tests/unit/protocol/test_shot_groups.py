"""Tests for pennylane_qoro.protocol.shot_groups: the tiling rule of qoro-api.md §3.3."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.protocol.errors import PayloadError
from pennylane_qoro.protocol.shot_groups import check_shot_groups, rebase_shot_groups


class TestCheckShotGroups:
    def test_exact_tiling_is_accepted(self):
        groups = [[0, 2, 100], [2, np.int64(3), 10]]
        assert check_shot_groups(groups, 3) == [(0, 2, 100), (2, 3, 10)]

    @pytest.mark.parametrize(
        "groups, match",
        [
            ([[0, 2, 10]], r"cover \[0, 2\) but there are 3"),
            ([[1, 3, 10]], "expected start 0"),
            ([[0, 1, 10], [2, 3, 10]], "expected start 1"),
            ([[0, 3, 0]], "shots > 0"),
            ([[0, 4, 10]], r"cover \[0, 4\)"),
            ([[0, 3, 1.0]], "three integers"),
        ],
    )
    def test_broken_tilings(self, groups, match):
        with pytest.raises(PayloadError, match=match) as err:
            check_shot_groups(groups, 3)
        assert str(err.value).startswith("shot_groups")

    def test_max_shots(self):
        assert check_shot_groups([[0, 1, 5]], 1, max_shots=5) == [(0, 1, 5)]
        with pytest.raises(PayloadError, match="over 5 shots"):
            check_shot_groups([[0, 1, 6]], 1, max_shots=5)


def test_rebase_keeps_only_the_chunk():
    groups = [(0, 2, 100), (2, 5, 10), (5, 6, 1)]
    assert rebase_shot_groups(groups, 1, 4) == [[0, 1, 100], [1, 3, 10]]
    assert rebase_shot_groups(groups, 5, 6) == [[0, 1, 1]]
