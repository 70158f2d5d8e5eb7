"""Estimated credits of a job, where the service's price rule is known.

The local service (the embedded one and ``qoro-local serve``) debits each job once, when it is
finalized, at the rule of ``protocol/pricing.py``, the same functions its ledger uses. The
estimate applies to services on this machine (loopback URLs). The Qoro cloud publishes no price
rule in its API (``credits/`` and ``credits/transactions/`` give a balance and a ledger only,
qoro-api.md §2.5, §2.6), so anywhere else the estimate is ``None`` ("unknown").

Pure: imports the standard library, ``protocol.pricing`` and ``client`` modules only.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from ..protocol.pricing import LOCAL_RULE, execute_cost, expectation_cost
from .config import is_loopback
from .spec import JobSpec

__all__ = ["LOCAL_RULE", "estimated_credits", "local_price"]


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
            return len(labels) * expectation_cost(len(groups[0]))
        return sum(
            (end - start) * expectation_cost(len(groups[k]))
            for k, (start, end) in enumerate(spec.circuit_ham_map)
        )
    if spec.shot_groups is not None:
        return sum((end - start) * execute_cost(shots) for start, end, shots in spec.shot_groups)
    return len(labels) * execute_cost(spec.shots or 0)


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
