"""The local service's price rule, read by the service's ledger and by the client's estimates.

The local service (the embedded one and ``qoro-local serve``) debits each job once, when it is
finalized, in hundredths of a credit per circuit; circuits that never run (cancelled, failed,
deleted) are refunded:

* EXECUTE circuit:      1 + ceil(shots / 1000)       i.e. 0.01 + 0.01 per started 1000 shots
* EXPECTATION circuit:  1 + ceil(n_terms / 100)      i.e. 0.01 + 0.01 per started 100 terms

The Qoro cloud publishes no price rule in its API (qoro-api.md §2.5, §2.6), so this is a fact
of the local service only. Standard library only.
"""

from __future__ import annotations

import math

__all__ = ["LOCAL_RULE", "execute_cost", "expectation_cost"]

LOCAL_RULE = "local service: 0.01 + 0.01 per started 1000 shots or 100 terms, per circuit"


def execute_cost(shots: int) -> int:
    """Price of one EXECUTE circuit in hundredths of a credit.

    >>> execute_cost(1000), execute_cost(1001), execute_cost(1)
    (2, 3, 2)
    """
    return 1 + math.ceil(shots / 1000)


def expectation_cost(n_terms: int) -> int:
    """Price of one EXPECTATION circuit in hundredths of a credit.

    >>> expectation_cost(4), expectation_cost(250)
    (2, 4)
    """
    return 1 + math.ceil(n_terms / 100)
