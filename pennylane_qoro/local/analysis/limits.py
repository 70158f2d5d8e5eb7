"""The local engine's size limits, in one place (characterization.md §3.13).

The service answers 400 above the submission limits; the tier limits choose how a number is
computed (exact, closed form, estimated, or not at all). :func:`~.engine.analyze` and
:class:`~.polynomial.Polynomial` take the two a test varies (``exact_max_n``,
``dense_max_n``) as keyword arguments that default to these values.

Imports nothing.
"""

from __future__ import annotations

# submissions
MAX_VARIABLES = 4096          # largest n the local engine analyses
MAX_TERMS = 400_000           # largest number of non-constant terms
MAX_DEGREE = 16               # largest monomial degree

# tiers
EXACT_MAX_N = 22              # exact tier: full 2^n spectrum (32 MiB of float64 at n = 22)
STATEVECTOR_MAX_N = 20        # p=1 QAOA statevector (probabilities, HUBO landscape)
WALSH_MAX_WORK = 2_000_000    # sum over terms of 2^degree for the HUBO Walsh expansion
LP_MAX_PAIRS = 10_000         # McCormick LP size limit (HiGHS needs ~7 s at 20 000 pairs)
CLOSED_FORM_MAX_ENTRIES = 20_000_000  # closed-form QAOA: neighbourhood entries held in memory
DENSE_FIELD_MAX_N = 1024      # QUBOs up to this size use a dense coupling matrix (8 MiB)
