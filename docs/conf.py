"""Sphinx configuration of the pennylane-qoro documentation (``python -m sphinx -W docs _build``).

The device reference (options, gates, observables, measurements) is generated from the code
by ``_ext/qoro_reference.py``; the API reference by autodoc; the tutorials are the scripts.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
warnings.filterwarnings("ignore", category=DeprecationWarning)

from pennylane_qoro import __version__  # noqa: E402

project = "pennylane-qoro"
author = "pennylane-qoro developers"
copyright = "pennylane-qoro developers, Apache-2.0"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "qoro_reference",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

exclude_patterns = ["_build", "tutorials/figures/README.md"]
templates_path: list[str] = []
html_theme = "furo"
html_title = f"pennylane-qoro {release}"
html_static_path: list[str] = []
