"""The layering of design.md, checked by parsing every module's imports.

- ``client/`` knows nothing of PennyLane, the device, the compiler or the local service.
- ``local/`` (the embedded service) shares only the client's codecs and errors.
- ``compile/`` and ``results.py`` are pure: no HTTP, no service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pennylane_qoro"


def _imports(path: Path, package_dir: Path = PACKAGE) -> set[str]:
    """Absolute module names imported by one file (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(package_dir.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    package = parts if path.name == "__init__.py" else parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return found


def _files(sub: str) -> list[Path]:
    target = PACKAGE / sub
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


def _violations(
    files: list[Path], forbidden: tuple[str, ...], package_dir: Path = PACKAGE
) -> list[str]:
    bad = []
    for f in files:
        for mod in _imports(f, package_dir):
            if any(mod == p or mod.startswith(p + ".") for p in forbidden):
                bad.append(f"{f.relative_to(package_dir.parent)} imports {mod}")
    return sorted(set(bad))


RULES = {
    "client": (
        "pennylane",
        "pennylane_qoro.device",
        "pennylane_qoro.compile",
        "pennylane_qoro.results",
        "pennylane_qoro.local",
        "pennylane_qoro.characterization",
        "maestro",
        "fastapi",
    ),
    "local": (
        "pennylane",
        "pennylane_qoro.device",
        "pennylane_qoro.compile",
        "pennylane_qoro.results",
        "pennylane_qoro.characterization",
        "pennylane_qoro.client.http",
        "pennylane_qoro.client.jobs",
        "pennylane_qoro.client.config",
    ),
    "compile": ("requests", "pennylane_qoro.client.http", "pennylane_qoro.local", "maestro"),
    "results.py": ("requests", "pennylane_qoro.client.http", "pennylane_qoro.local", "maestro"),
}


@pytest.mark.parametrize("sub", sorted(RULES))
def test_layer_imports_only_what_design_allows(sub):
    """Each layer stays inside the boundary that design.md draws for it."""
    files = _files(sub)
    assert files, f"no modules found under {sub}"
    assert _violations(files, RULES[sub]) == []


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The parser resolves relative imports, so a violation cannot slip through as '..device'."""
    package_dir = tmp_path / "pennylane_qoro"
    (package_dir / "client").mkdir(parents=True)
    probe = package_dir / "client" / "probe.py"
    probe.write_text("from ..device import QoroDevice\nimport pennylane as qml\n")
    assert _violations([probe], RULES["client"], package_dir) == [
        "pennylane_qoro/client/probe.py imports pennylane",
        "pennylane_qoro/client/probe.py imports pennylane_qoro.device",
        "pennylane_qoro/client/probe.py imports pennylane_qoro.device.QoroDevice",
    ]
