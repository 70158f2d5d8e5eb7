"""The layering of issue #18 rule 1, checked statically and at runtime.

Statically, from every import statement of every module (deferred ones inside functions and
``TYPE_CHECKING`` ones included, see ``package_imports.py``):

- ``protocol/`` imports only the standard library and numpy: both sides import it, it imports
  neither;
- ``client/`` imports the standard library, requests (and its urllib3), numpy, python-dotenv,
  tqdm (the optional progress bar) and ``protocol`` -- never PennyLane or the local service;
- ``local/`` imports ``protocol``, Maestro, FastAPI (with its pydantic, starlette and anyio),
  uvicorn, the standard library, numpy / scipy / networkx -- never the client, the device,
  the compiler, the results or requests;
- ``compile/`` and ``results.py`` are pure: no HTTP, no service.

At runtime, in a fresh interpreter: importing the local service leaves requests, PennyLane and
the client out of ``sys.modules``; importing the client leaves PennyLane and the local service
out (the package ``__init__`` files must not import them eagerly).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from package_imports import PACKAGE_DIR, imports, module_name, package_files

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
VERSION = "pennylane_qoro._version"  # __version__ once: the user agent, the local app, the CLI

# layer -> (third-party top-level packages allowed, package modules allowed)
ALLOWED = {
    "protocol": (frozenset({"numpy"}), ("pennylane_qoro.protocol",)),
    "client": (
        frozenset({"requests", "urllib3", "numpy", "dotenv", "tqdm"}),
        ("pennylane_qoro.protocol", "pennylane_qoro.client", VERSION, "pennylane_qoro._lazy"),
    ),
    "local": (
        frozenset({"numpy", "scipy", "networkx", "maestro", "fastapi", "starlette", "pydantic",
                   "anyio", "uvicorn"}),
        ("pennylane_qoro.protocol", "pennylane_qoro.local", VERSION),
    ),
}
FORBIDDEN = {  # the pure stages: a denylist (they use PennyLane and numpy freely)
    "compile": ("requests", "pennylane_qoro.client.http", "pennylane_qoro.local", "maestro"),
    "results.py": ("requests", "pennylane_qoro.client.http", "pennylane_qoro.local", "maestro"),
}


def _files(sub: str, package_dir: Path = PACKAGE_DIR) -> list[Path]:
    target = package_dir / sub
    return package_files(target) if target.is_dir() else [target]


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _outside_allowlist(files: list[Path], layer: str,
                       package_dir: Path = PACKAGE_DIR) -> list[str]:
    third_party, internal = ALLOWED[layer]
    bad = []
    for f in files:
        for imp in imports(f, package_dir):
            top = imp.module.split(".")[0]
            if top == "pennylane_qoro":
                ok = _within(imp.module, internal)
            else:
                ok = top in STDLIB or top in third_party
            if not ok:
                bad.append(f"{f.relative_to(package_dir.parent)}:{imp.line} imports {imp.module}")
    return sorted(set(bad))


def _denied(files: list[Path], forbidden: tuple[str, ...],
            package_dir: Path = PACKAGE_DIR) -> list[str]:
    bad = []
    for f in files:
        for imp in imports(f, package_dir):
            for target in imp.targets():
                if _within(target, forbidden):
                    bad.append(f"{f.relative_to(package_dir.parent)}:{imp.line} imports {target}")
    return sorted(set(bad))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_its_rule_allows(layer):
    """Test each layer's every import statement is on its allowlist (issue #18 rule 1)."""
    files = _files(layer)
    assert files, f"no modules found under {layer}"
    assert _outside_allowlist(files, layer) == []


@pytest.mark.parametrize("sub", sorted(FORBIDDEN))
def test_pure_stages_do_no_io(sub):
    """Test compile/ and results.py import no HTTP, no service and no simulator."""
    files = _files(sub)
    assert files, f"no modules found under {sub}"
    assert _denied(files, FORBIDDEN[sub]) == []


def test_the_checker_sees_deferred_and_relative_imports(tmp_path):
    """Test a violation cannot slip through as '..device' or inside a function body."""
    package_dir = tmp_path / "pennylane_qoro"
    (package_dir / "client").mkdir(parents=True)
    probe = package_dir / "client" / "probe.py"
    probe.write_text("from ..device import QoroDevice\n"
                     "def later():\n    import pennylane as qml\n"
                     "from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from ..local import app\n")
    assert module_name(probe, package_dir) == "pennylane_qoro.client.probe"
    assert _outside_allowlist([probe], "client", package_dir) == [
        "pennylane_qoro/client/probe.py:1 imports pennylane_qoro.device",
        "pennylane_qoro/client/probe.py:3 imports pennylane",
        "pennylane_qoro/client/probe.py:6 imports pennylane_qoro.local",
    ]
    assert [i.type_checking for i in imports(probe, package_dir)] == [False, False, False, True]


# ------------------------------------------------------------------------------- runtime


def _loaded_by(statement: str) -> set[str]:
    """Top-level names and package modules in ``sys.modules`` after ``statement``, in a
    fresh interpreter (nothing of this test process leaks in)."""
    code = (f"import sys, json\n{statement}\n"
            "print(json.dumps(sorted(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=PACKAGE_DIR.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    loaded = set(json.loads(run.stdout.splitlines()[-1]))
    return loaded | {name.split(".")[0] for name in loaded}


def test_a_bare_interpreter_loads_none_of_them():
    """Test the baseline: nothing (a .pth file, sitecustomize) preloads what is checked."""
    assert not _loaded_by("pass") & {"requests", "pennylane", "pennylane_qoro"}


@pytest.mark.parametrize("statement", [
    "import pennylane_qoro.local.app",
    "from pennylane_qoro.local import serve, FaultPlan",
])
def test_the_local_service_loads_no_requests_pennylane_or_client(statement):
    """Test importing the local service keeps requests, PennyLane and the client unloaded."""
    loaded = _loaded_by(statement)
    assert "pennylane_qoro.local.app" in loaded or "pennylane_qoro.local" in loaded
    assert not loaded & {"requests", "pennylane", "pennylane_qoro.client"}


@pytest.mark.parametrize("statement", [
    "import pennylane_qoro.client",
    "from pennylane_qoro.client import QoroClient, JobSpec",
])
def test_the_client_loads_no_pennylane_or_local_service(statement):
    """Test importing (and naming) the client keeps PennyLane and the local service unloaded."""
    loaded = _loaded_by(statement)
    assert "pennylane_qoro.client" in loaded
    assert not loaded & {"pennylane", "pennylane_qoro.local", "fastapi", "maestro"}
