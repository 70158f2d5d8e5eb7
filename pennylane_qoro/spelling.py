"""Near-miss suggestions for user-facing errors ("did you mean 'seed'?").

Owns the one rule for suggesting a valid name in place of a mistyped one (``difflib``'s
closest matches), so the device's options, ``url``, ``method`` and ``target`` errors suggest
alike. Imports only the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = ["closest", "did_you_mean", "unknown_options_message"]

#: How alike a suggestion must be (``difflib.get_close_matches``' ratio).
CUTOFF = 0.6


def closest(word: str, choices: Iterable[str], n: int = 1) -> list[str]:
    """The ``n`` valid names closest to ``word`` (case-insensitive), best first; ``[]`` when
    none is close enough.

    Args:
        word (str): what the user wrote.
        choices (Iterable[str]): the valid names.
        n (int): at most this many suggestions.

    Returns:
        list[str]: suggestions, spelled as in ``choices``.

    >>> closest("seeed", ["seed", "shots", "wires"])
    ['seed']
    >>> closest("zzz", ["seed", "shots"])
    []
    """
    by_lower = {str(c).lower(): str(c) for c in choices}
    matches = difflib.get_close_matches(str(word).lower(), list(by_lower), n=n, cutoff=CUTOFF)
    return [by_lower[m] for m in matches]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` (with its leading space) or ``""``: the tail of an error message.

    >>> did_you_mean("locl", ["local"])
    " Did you mean 'local'?"
    >>> did_you_mean("nothing-like-it", ["local"])
    ''
    """
    found = closest(word, choices)
    return f" Did you mean {found[0]!r}?" if found else ""


def unknown_options_message(owner: str, given: Iterable[str], valid: Sequence[str]) -> str:
    """The error text for keyword options ``owner`` does not take: each unknown name with
    its closest valid one, then the valid names.

    >>> print(unknown_options_message("dev", ["seeed"], ["seed", "wires"]))
    dev got an unknown option 'seeed' (did you mean 'seed'?). Valid options: seed, wires.
    """
    parts = []
    for name in given:
        found = closest(name, valid)
        parts.append(f"{name!r} (did you mean {found[0]!r}?)" if found else repr(name))
    what = "an unknown option" if len(parts) == 1 else "unknown options"
    return f"{owner} got {what} {', '.join(parts)}. Valid options: {', '.join(valid)}."
