"""The service's options (local/analysis/options.py): the seed vocabulary behind its switch."""

from __future__ import annotations

from pennylane_qoro.local.analysis.submission import parse_submission

from .oracles import CYCLE5


class TestSeedVocabulary:
    def test_seed_vocabulary_behind_the_switch(self):
        """Test target_states is an alias and seed analysis keys map under compat_seed."""
        sub = parse_submission(
            {"qubo": CYCLE5, "target_states": ["10100"],
             "options": {"analysis": {"hardness_only": True, "sensitivity": True}}},
            compat_seed=True)
        assert sub.references == ("10100",)
        assert sub.options.hardness and sub.options.preset == "deep"
        assert sub.options.structural_sensitivity is True
        assert sub.options.parameter_sweep is False
