"""What ``help()`` and ``--help`` tell a user: the device's limits and defaults, where
``characterize`` runs and what its result offers, and every ``qoro-local`` option explained.

Each check ties a docstring claim to the code it describes where that is possible (the
accessors named must exist, the probs limit is the planner's constant, the grant is the
embedded service's), so the text cannot drift silently.
"""

from __future__ import annotations

import argparse
import re

import pytest

from pennylane_qoro import QoroDevice, characterize
from pennylane_qoro.characterization.result import CharacterizationResult
from pennylane_qoro.compile.observables import MAX_ANALYTIC_PROBS_WIRES
from pennylane_qoro.local.__main__ import _parser
from pennylane_qoro.local.service import EMBEDDED_GRANT
from pennylane_qoro.local.store import DEFAULT_GRANT


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_device_help_lists_measurements_and_diff_methods():
    doc = _flat(QoroDevice.__doc__)
    for phrase in ("``state``", "``density_matrix``", "not available", "``sample``",
                   "``counts`` need shots", f"at most {MAX_ANALYTIC_PROBS_WIRES} wires",
                   '``"adjoint"``', '``"backprop"``', "are not supported"):
        assert phrase in doc, phrase


def test_device_help_says_where_it_runs_and_what_it_costs():
    doc = _flat(QoroDevice.__doc__)
    for phrase in ("QORO_API_URL", "QORO_API_KEY", ".env", "the Qoro cloud",
                   "embedded local service", "PaymentRequiredError", "402",
                   "qoro-local token create"):
        assert phrase in doc, phrase
    assert EMBEDDED_GRANT == 10**9 * 100 and "10**9 credits" in doc
    assert DEFAULT_GRANT == 1000_00 and "1000.00 credits" in doc
    # the documented jobs-per-step trade-off of the two device-derivative defaults
    assert "``grad_on_execution=True``" in doc and "``grad_on_execution=False``" in doc


def test_characterize_help_says_where_it_runs_and_names_real_accessors():
    doc = _flat(characterize.__doc__)
    assert "Where it runs" in doc and "embedded local service" in doc and ".env" in doc
    named = re.findall(r"``result\.(\w+)", doc)
    assert len(set(named)) >= 8
    for name in named:
        assert hasattr(CharacterizationResult, name) or name in (
            CharacterizationResult.__dataclass_fields__
        ), name


def _commands(parser: argparse.ArgumentParser, prefix: str = ""):
    """(name, parser) of every (sub)command that takes options."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from _commands(sub, f"{prefix} {name}".strip())


@pytest.mark.parametrize("command, parser", list(_commands(_parser())))
def test_every_cli_option_has_help(command, parser):
    """Test ``qoro-local serve --help`` (and every other command) explains each option."""
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert options, command
    for action in options:
        assert action.help and action.help.strip(), f"{command} {action.option_strings}"
