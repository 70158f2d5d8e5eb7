"""QUBO/HUBO characterization on the Qoro cloud or the embedded local service.

>>> from pennylane_qoro.characterization import characterize  # doctest: +SKIP
>>> result = characterize({(0, 1): 2.0, (0,): -1.0, (1,): -1.0},  # doctest: +SKIP
...                       ["01"], preset="deep")
>>> print(result)  # doctest: +SKIP

Public names: :func:`characterize`, :class:`CharacterizationResult`, :func:`canonicalize`,
:class:`Problem`, :func:`encode_problem`, and the errors of :mod:`.errors`.

Modules: :mod:`.api` (``characterize``: submit, fetch, recover), :mod:`.problem` (the canonical
:class:`Problem`), :mod:`.convert` (user input -> Problem), :mod:`.encoding` (the wire form),
:mod:`.references` (reference states), :mod:`.options` (the ``options`` object), :mod:`.result`
and :mod:`.errors`.
"""

from __future__ import annotations

from .api import characterize
from .convert import canonicalize
from .encoding import WireQubo, encode_problem
from .errors import (
    CharacterizationFailedError,
    CharacterizationSubmitError,
    OptionsError,
    ProblemError,
    ProblemTooLargeError,
    ReferenceStateError,
)
from .problem import Problem
from .result import CharacterizationResult

__all__ = [
    "CharacterizationFailedError",
    "CharacterizationResult",
    "CharacterizationSubmitError",
    "OptionsError",
    "Problem",
    "ProblemError",
    "ProblemTooLargeError",
    "ReferenceStateError",
    "WireQubo",
    "canonicalize",
    "characterize",
    "encode_problem",
]
