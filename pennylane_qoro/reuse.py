"""Which jobs may be shared: one job's ``maestro_config`` and the journal's rules for it.

The journal (``client/journal.py``) reattaches to, and with ``cache=True`` serves, a job of
the same content key. Whether that is right depends on what the job computes, which only the
device knows:

* **deterministic** -- the results are a function of the request: expectation values without
  noise (or with an exact ``density_matrix`` simulation), or anything the simulator runs with a
  fixed ``seed`` in ``maestro_config``. Only these are served from the cache, and only these
  may be shared with a process that is still running. Unseeded sampling is not deterministic:
  a job of it is reattached to only when its writer is gone and nobody has fetched it.
* **seed in key** -- whether ``maestro_config["seed"]`` is part of the key. Noise-free
  expectation values do not depend on it, so it is left out: an analytic batch matches across
  reruns even when the device drew its seed from NumPy's global generator (the default
  ``seed="global"``). The seed is still sent, so the wire and the device's random stream are
  exactly what they were without a journal.

Pure: imports the standard library, ``client.config``, ``compile`` and ``targets`` types
only (``client.journal`` lazily, for ``journal_option``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .client.config import is_loopback
from .compile.batching import JobPlan
from .targets import SIMULATION_METHODS, TargetInfo

__all__ = ["ReuseRules", "is_local_url", "job_options", "journal_option"]

#: Simulation methods whose expectation values are exact (no sampling inside the simulator).
EXACT_METHODS = frozenset(
    SIMULATION_METHODS[name]
    for name in ("statevector", "mps", "stabilizer", "tensor_network", "pauli_propagator",
                 "density_matrix")
    if name in SIMULATION_METHODS
)
DENSITY_MATRIX = SIMULATION_METHODS.get("density_matrix")


@dataclass(frozen=True)
class ReuseRules:
    """How the journal may reuse one job (the module docstring says why)."""

    deterministic: bool
    seed_in_key: bool


def job_options(job: JobPlan, target: TargetInfo, simulator_options: Mapping[str, Any],
                noise: Mapping[str, Any] | None, seed: int | None
                ) -> tuple[dict[str, Any], ReuseRules]:
    """The job's ``maestro_config`` (qoro-api.md §2.13) and its reuse rules.

    Args:
        job (JobPlan): the planned job.
        target (TargetInfo): the resolved target (a QPU gets no seed).
        simulator_options (Mapping): the device's method and MPS options.
        noise (Mapping | None): the job type's noise keys; ``noise_seed`` also fixes sampling.
        seed (int | None): the per-job simulator seed the device drew, if any.

    >>> from pennylane_qoro.targets import TargetInfo
    >>> sim = TargetInfo("qoro_maestro", "simulator", True)
    >>> job = JobPlan("EXPECTATION", circuits=(("0", "qasm"),), observables=("Z",))
    >>> job_options(job, sim, {}, None, 7)
    ({'seed': 7}, ReuseRules(deterministic=True, seed_in_key=False))
    """
    config = dict(simulator_options)
    if seed is not None and target.kind == "simulator":
        config["seed"] = seed
    if noise:  # the maestro_config noise keys (§2.13); noise_seed also fixes sampling
        config.update(noise)
        if "noise_seed" in noise:
            config["seed"] = noise["noise_seed"]
    method = config.get("simulation_type")
    noisy = any(k != "noise_seed" for k in (noise or {}))
    exact = job.job_type == "EXPECTATION" and (
        (not noisy and (method is None or method in EXACT_METHODS))
        or (noisy and method == DENSITY_MATRIX)
    )
    seeded = "seed" in config and target.kind == "simulator"
    return config, ReuseRules(deterministic=exact or seeded, seed_in_key=not exact)


def journal_option(journal: bool | str | os.PathLike | None):
    """The device's ``journal=`` as the process's shared ``Journal`` (``None``: off).

    Raises:
        TypeError: neither a bool nor a path.
    """
    if journal is None or journal is False:
        return None
    from .client.journal import open_journal  # stdlib only: no transport loaded

    if journal is True:
        return open_journal()
    if isinstance(journal, str | os.PathLike):
        return open_journal(journal)
    raise TypeError(f"journal must be True, False or a file path, got {type(journal).__name__}")


def is_local_url(url: str) -> bool:
    """Whether ``url`` is a service on this machine (a ``qoro-local serve``; never the cloud).

    >>> is_local_url("http://127.0.0.1:8080/api"), is_local_url("https://app.qoroquantum.net/api")
    (True, False)
    """
    return is_loopback(urlsplit(url).hostname or "")
