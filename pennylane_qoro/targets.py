"""Where a job runs: target lookup, simulator options and their method codes.

Owns the device's ``target=`` resolution against the service's lists (qoro-api.md §2.2-2.3),
the Maestro ``simulation_type`` codes (§2.13) behind ``method=``, the ``maestro_config`` keys a
job carries, and the check that a batch can run on the resolved target.

Imports PennyLane's ``DeviceError`` only; it never imports the client (the device passes the
lists in), ``compile``, ``results`` or the local service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pennylane.exceptions import DeviceError

from .spelling import closest, did_you_mean

__all__ = [
    "DEFAULT_TARGET",
    "SIMULATION_METHODS",
    "TargetInfo",
    "check_target",
    "maestro_options",
    "resolve_target",
    "simulation_code",
]

#: Simulation methods -> maestro's integer ``simulation_type`` codes (qoro-api.md §2.13).
SIMULATION_METHODS: dict[str, int] = {
    "statevector": 0,
    "mps": 1,
    "matrix_product_state": 1,
    "stabilizer": 2,
    "tensor_network": 3,
    "pauli_propagator": 4,
    "extended_stabilizer": 5,
    "path_integral": 6,
    "density_matrix": 7,
    "mpo": 8,
    "matrix_product_operator": 8,
}

#: The default simulator cluster; §2.3 says it need not be listed.
DEFAULT_TARGET = "qoro_maestro"


@dataclass(frozen=True)
class TargetInfo:
    """A resolved target: a simulator cluster or a QPU system, and whether it computes
    expectation values server-side (``supports_expval``, qoro-api.md §2.2-2.3)."""

    name: str
    kind: str  # "simulator" | "qpu"
    supports_expval: bool


def simulation_code(method: str | int | None) -> int | None:
    """Maestro's ``simulation_type`` code for a method name or code (``None`` stays unset).

    Args:
        method (str | int | None): a name of :data:`SIMULATION_METHODS` (any case) or a code.

    Returns:
        int | None: the code, or ``None`` when no method was asked for.

    Raises:
        ValueError: an unknown name or code (the message lists the valid ones).

    >>> simulation_code("MPS"), simulation_code(2), simulation_code(None)
    (1, 2, None)
    """
    if method is None:
        return None
    if isinstance(method, int) and not isinstance(method, bool):
        if method in SIMULATION_METHODS.values():
            return method
    elif isinstance(method, str) and method.lower() in SIMULATION_METHODS:
        return SIMULATION_METHODS[method.lower()]
    near = closest(method, SIMULATION_METHODS) if isinstance(method, str) else []
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise ValueError(
        f"Unknown simulation method {method!r}{hint}; use one of {sorted(SIMULATION_METHODS)} "
        f"or their codes {sorted(set(SIMULATION_METHODS.values()))}."
    )


def maestro_options(
    method: str | int | None,
    max_bond_dimension: int | None,
    singular_value_threshold: float | None,
) -> dict[str, Any]:
    """The job's ``maestro_config`` keys (qoro-api.md §2.13), only for options the user set,
    so a job without options leaves every choice to the service.

    Raises:
        ValueError: an unknown method or ``max_bond_dimension < 1``.

    >>> maestro_options("mps", 16, None)
    {'simulation_type': 1, 'max_bond_dimension': 16}
    """
    options: dict[str, Any] = {}
    code = simulation_code(method)
    if code is not None:
        options["simulation_type"] = code
    if max_bond_dimension is not None:
        if int(max_bond_dimension) < 1:
            raise ValueError(f"max_bond_dimension must be >= 1, got {max_bond_dimension}")
        options["max_bond_dimension"] = int(max_bond_dimension)
    if singular_value_threshold is not None:
        options["singular_value_threshold"] = float(singular_value_threshold)
    return options


def resolve_target(
    name: str,
    simulator_clusters: Callable[[], Sequence[Mapping[str, Any]]],
    qpu_systems: Callable[[], Sequence[Mapping[str, Any]]],
) -> TargetInfo:
    """Find ``name`` among the service's simulator clusters, then its QPU systems.

    The lists are callables so that the QPU list is only fetched when the name is not a
    cluster (one request in the common case).

    Args:
        name (str): the device's ``target``.
        simulator_clusters: returns the service's cluster records (``name``,
            ``supports_expval``).
        qpu_systems: returns the service's QPU system records.

    Returns:
        TargetInfo: what the name is and whether it computes expectation values.

    Raises:
        DeviceError: the name is in neither list (the message names both lists).

    >>> resolve_target("qoro_maestro", list, list)
    TargetInfo(name='qoro_maestro', kind='simulator', supports_expval=True)
    """
    clusters = simulator_clusters()
    for c in clusters:
        if c.get("name") == name:
            return TargetInfo(name, "simulator", bool(c.get("supports_expval", True)))
    systems = qpu_systems()
    for s in systems:
        if s.get("name") == name:
            # §2.2: a system named "qoro_maestro" always computes expectation values.
            expval = bool(s.get("supports_expval", False)) or name == DEFAULT_TARGET
            return TargetInfo(name, "qpu", expval)
    if name == DEFAULT_TARGET:  # §2.3: the default cluster need not be listed
        return TargetInfo(name, "simulator", True)
    names = [c.get("name") for c in clusters], [s.get("name") for s in systems]
    hint = did_you_mean(name, [n for n in (*names[0], *names[1]) if isinstance(n, str)])
    raise DeviceError(
        f"Unknown Qoro target {name!r}.{hint} Simulator clusters: {names[0]}; "
        f"QPU systems: {names[1]}."
    )


def check_target(target: TargetInfo, simulator_options: Mapping[str, Any], analytic: bool) -> None:
    """Refuse, before any job, a batch the target cannot run.

    Args:
        target (TargetInfo): the resolved target.
        simulator_options (Mapping): the device's ``maestro_config`` keys.
        analytic (bool): whether any tape of the batch has no shots.

    Raises:
        DeviceError: simulator options on a QPU, or analytic tapes on a sampling-only target.
    """
    if target.kind == "qpu" and simulator_options:
        given = ", ".join(_as_device_options(simulator_options))
        raise DeviceError(
            f"{given} cannot be used with the QPU system {target.name!r}: method, "
            "max_bond_dimension and singular_value_threshold are Maestro simulator settings. "
            f"Drop them, or run on a simulator cluster (target={DEFAULT_TARGET!r})."
        )
    if not target.supports_expval and analytic:
        raise DeviceError(
            f"Target {target.name!r} only samples: analytic execution (shots=None) is not "
            "available. Use qml.set_shots(...) to run with shots."
        )


def _as_device_options(simulator_options: Mapping[str, Any]) -> list[str]:
    """``maestro_config`` keys as the device options the user wrote (``simulation_type``
    code 1 -> ``method='mps'``), for error messages."""
    names = {code: name for name, code in reversed(SIMULATION_METHODS.items())}
    shown = []
    for key, value in simulator_options.items():
        if key == "simulation_type":
            shown.append(f"method={names.get(value, value)!r}")
        else:
            shown.append(f"{key}={value!r}")
    return shown
