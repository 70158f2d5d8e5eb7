"""Template placeholder substitution, the matching rule of qoro-api.md §3.5, written once.

The device binds its own templates (``compile/qasm.py``, for the bound-circuit path) exactly as
the service substitutes them (``local/qasm.py``), so both build their pattern here: names
escaped, longest first, one alternation, no ASCII identifier character ``[A-Za-z0-9_]``
immediately before or after a match; each value written as ``str(float(value))``.

Imports only the standard library; never ``client``, ``local`` or PennyLane.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["IDENT_AFTER", "IDENT_BEFORE", "format_value", "placeholder_pattern"]

#: §3.5 step 4: no ASCII identifier character immediately before a match ...
IDENT_BEFORE = r"(?<![A-Za-z0-9_])"
#: ... or immediately after it. Also the boundary of QASM keywords (``qreg``, ``measure``).
IDENT_AFTER = r"(?![A-Za-z0-9_])"


def placeholder_pattern(names: Sequence[str]) -> re.Pattern | None:
    """The one regular expression that finds every placeholder of a template (§3.5).

    Args:
        names (Sequence[str]): the template's ``parameter_names`` (any text, not only
            identifiers: ``theta[1]`` and ``β`` are valid names).

    Returns:
        re.Pattern | None: the pattern, or ``None`` for a template without names.

    >>> placeholder_pattern(["w_1", "w_10"]).findall("rx(w_10) q[0]; ry(w_1) q[0]; ry(xw_1) q[0];")
    ['w_10', 'w_1']
    """
    if not names:
        return None
    ordered = sorted(names, key=len, reverse=True)  # step 2: w_10 before w_1
    alternation = "|".join(re.escape(name) for name in ordered)
    return re.compile(f"{IDENT_BEFORE}(?:{alternation}){IDENT_AFTER}")


def format_value(value: float) -> str:
    """A parameter value as the service writes it: ``str`` of the float (shortest repr).

    >>> format_value(1), format_value(1e-20), format_value(-0.5)
    ('1.0', '1e-20', '-0.5')
    """
    return str(float(value))
