"""Where the tutorials put their figures, shared by all five scripts.

Figures go to ``tutorials/figures/`` (or ``$QORO_TUTORIAL_FIGURES``). As a script, matplotlib
draws to files only; in a notebook the figure is also shown.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # running as a script: draw to files only
    matplotlib.use("Agg")
import matplotlib.pyplot as plt

FAST = os.environ.get("QORO_TUTORIAL_FAST") == "1"
FIGURES = Path(
    os.environ.get("QORO_TUTORIAL_FIGURES") or Path(__file__).resolve().parent / "figures"
)


def save(fig, name: str) -> Path:
    """Write ``fig`` to ``FIGURES/name``; show it in a notebook, close it in a script."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / name
    fig.savefig(path, dpi=120, bbox_inches="tight")
    print(f"figure saved: {path}")
    if "ipykernel" in sys.modules:
        plt.show()
    else:
        plt.close(fig)
    return path
