"""Test that every ``>>>`` example in the package's docstrings runs and shows what it says.

The modules are found at test time by walking the package directories (no list of files to
keep up to date as modules move); each module is one test case, run with :mod:`doctest`.
An example that truly does I/O (starts a service, sends a request) carries
``# doctest: +SKIP``; every other example runs, so a docstring cannot drift from the code.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import pennylane_qoro

FLAGS = doctest.ELLIPSIS


def module_files(path: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    """``(module name, file)`` of every module and package below ``path`` (nothing imported)."""
    for info in pkgutil.iter_modules([str(path)]):
        name = f"{prefix}.{info.name}"
        if info.ispkg:
            yield name, path / info.name / "__init__.py"
            yield from module_files(path / info.name, name)
        else:
            yield name, path / f"{info.name}.py"


ROOT = Path(pennylane_qoro.__file__).parent
ALL = [(pennylane_qoro.__name__, ROOT / "__init__.py"), *module_files(ROOT, "pennylane_qoro")]
MODULES = [name for name, file in ALL if ">>>" in file.read_text(encoding="utf-8")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    """Test the module's docstring examples run and print what they show."""
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder(exclude_empty=True).find(module, name)
             if t.examples]
    assert tests, f"{name} has '>>>' text but no example doctest can find"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failed = sum(runner.run(test, out=report.append).failed for test in tests)
    assert failed == 0, "".join(report)


def test_the_walk_finds_the_package() -> None:
    """Test the walk sees subpackages and their modules (so no example is left out)."""
    names = [name for name, _ in ALL]
    assert "pennylane_qoro.protocol.histogram" in names
    assert "pennylane_qoro.local.faults.plan" in MODULES
    assert len(names) == len(set(names)) > 50
