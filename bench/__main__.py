"""``python -m bench``: see ``bench/run.py``; ``python -m bench small-calls``: see
``bench/small_calls.py``; ``python -m bench noise``: see ``bench/noise.py``;
``python -m bench upload-fairness``: see ``bench/upload_fairness.py``;
``python -m bench scale``: see ``bench/scale.py``."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["noise"]:
        from .noise import main as noise

        noise(sys.argv[2:])
    elif sys.argv[1:2] == ["upload-fairness"]:
        from .upload_fairness import main as upload_fairness

        upload_fairness(sys.argv[2:])
    elif sys.argv[1:2] == ["scale"]:
        from .scale import main as scale

        scale(sys.argv[2:])
    elif sys.argv[1:2] == ["small-calls"]:
        from .small_calls import main as small_calls

        small_calls(sys.argv[2:])
    else:
        from .run import main

        main()
