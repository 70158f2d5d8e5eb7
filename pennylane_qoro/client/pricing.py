"""Estimated credits of a job, where the service's price rule is known.

The local service (the embedded one and ``qoro-local serve``) debits each job once, when it is
finalized, at this rule (``pennylane_qoro/local/submission.py``; circuits that never run are
refunded), in hundredths of a credit:

* EXECUTE circuit:      1 + ceil(shots / 1000)
* EXPECTATION circuit:  1 + ceil(n_terms / 100)

It applies to services on this machine (loopback URLs). The Qoro cloud publishes no price rule
in its API (``credits/`` and ``credits/transactions/`` give a balance and a ledger only,
qoro-api.md §2.5, §2.6), so anywhere else the estimate is ``None`` ("unknown").

Pure: imports the standard library and ``client`` modules only.
"""

from __future__ import annotations

import math
from decimal import Decimal
from urllib.parse import urlsplit

from .config import is_loopback
from .spec import JobSpec

__all__ = ["LOCAL_RULE", "estimated_credits", "local_price"]

LOCAL_RULE = "local service: 0.01 + 0.01 per started 1000 shots or 100 terms, per circuit"


def local_price(spec: JobSpec) -> int:
    """The local service's price of a job, in hundredths of a credit.

    >>> local_price(JobSpec(circuits=(("a", "q"), ("b", "q")), shots=1500))
    6
    >>> local_price(JobSpec("EXPECTATION", circuits=(("a", "q"),), observables=(("ZI", "IZ"),)))
    2
    """
    labels = spec.labels
    if spec.job_type == "EXPECTATION":
        groups = spec.observables or ((),)
        if spec.circuit_ham_map is None:
            return sum(1 + math.ceil(len(groups[0]) / 100) for _ in labels)
        return sum(
            (end - start) * (1 + math.ceil(len(groups[k]) / 100))
            for k, (start, end) in enumerate(spec.circuit_ham_map)
        )
    if spec.shot_groups is not None:
        return sum((end - start) * (1 + math.ceil(shots / 1000))
                   for start, end, shots in spec.shot_groups)
    return len(labels) * (1 + math.ceil((spec.shots or 0) / 1000))


def estimated_credits(spec: JobSpec, url: str) -> Decimal | None:
    """What the job will cost on the service at ``url``, or ``None`` where unknown.

    >>> estimated_credits(JobSpec(circuits=(("a", "q"),), shots=10), "http://127.0.0.1:1/api")
    Decimal('0.02')
    >>> estimated_credits(JobSpec(circuits=(("a", "q"),), shots=10),
    ...                   "https://app.qoroquantum.net/api") is None
    True
    """
    if not is_loopback(urlsplit(url).hostname or ""):
        return None
    return Decimal(local_price(spec)) / 100
