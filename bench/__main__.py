"""``python -m bench``: see ``bench/run.py``; ``python -m bench small-calls``: see
``bench/small_calls.py``; ``python -m bench noise``: see ``bench/noise.py``."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["noise"]:
        from .noise import main as noise

        noise(sys.argv[2:])
    elif sys.argv[1:2] == ["small-calls"]:
        from .small_calls import main as small_calls

        small_calls(sys.argv[2:])
    else:
        from .run import main

        main()
