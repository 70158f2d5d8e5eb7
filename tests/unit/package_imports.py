"""The package's own import statements, parsed from source (boundary and structure tests).

Every ``import`` / ``from ... import`` node of every module is read with :func:`ast.walk`, so
deferred imports inside functions count like top-level ones; relative imports are resolved to
absolute module names. Nothing of the package is imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "pennylane_qoro"


@dataclass(frozen=True)
class Import:
    """One import statement of a module.

    Attributes:
        module (str): the module named (``"requests"``, ``"pennylane_qoro.protocol.text"``).
        names (tuple[str, ...]): the names of a ``from`` import (empty for ``import x``).
        line (int): the line number.
        type_checking (bool): inside an ``if TYPE_CHECKING:`` block (no effect at runtime).
    """

    module: str
    names: tuple[str, ...]
    line: int
    type_checking: bool

    def targets(self) -> list[str]:
        """The module and the ``module.name`` candidates (a name may be a submodule)."""
        return [self.module, *(f"{self.module}.{name}" for name in self.names)]


def module_name(path: Path, package_dir: Path = PACKAGE_DIR) -> str:
    """``pennylane_qoro/local/faults/plan.py`` -> ``pennylane_qoro.local.faults.plan``."""
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """Every module of the package, sorted."""
    return sorted(package_dir.rglob("*.py"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _guarded_lines(tree: ast.Module) -> set[int]:
    """Line numbers of the import statements inside ``if TYPE_CHECKING:`` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                lines.update(n.lineno for n in ast.walk(child)
                             if isinstance(n, ast.Import | ast.ImportFrom))
    return lines


def imports(path: Path, package_dir: Path = PACKAGE_DIR) -> list[Import]:
    """Every import statement of one file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, package_dir)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    guarded = _guarded_lines(tree)
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, (), node.lineno, node.lineno in guarded)
                      for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, names, node.lineno, node.lineno in guarded))
    return sorted(found, key=lambda i: i.line)
