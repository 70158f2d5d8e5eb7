"""Simulator options of a job: wire forms -> one normalized mapping -> ``maestro.SimulatorConfig``.

Owns the two wire forms of qoro-api.md §2.13:
  * ``execution_configuration`` (seed/0.13 clients): ``bond_dimension``, ``truncation_threshold``,
    ``simulator_type``, ``simulation_type``, ``noisy_device``, ``noise_realizations``,
    ``noise_scaling_factor``, ``api_meta``; plus ``seed``, a local extension for reproducible runs;
  * ``maestro_config`` (0.15.1 clients): ``SimulatorConfig`` field names with enum integer codes,
    plus the noise keys ``noise_model`` / ``noise_seed`` / ``noise_realizations``, validated with
    ``protocol.noise`` and Maestro (``local/noise.py``) and kept beside the config kwargs
    (:func:`simulator_config` leaves them out). The old clients' ``noisy_device`` (a named fake
    device), ``noise_realizations`` and ``noise_scaling_factor`` answer 400: no fake devices here.

Both are normalized to a JSON-safe dict of ``SimulatorConfig`` keyword arguments (enums as their
integer codes) which the store keeps and :func:`simulator_config` turns into a Maestro object.
Every unknown key or wrong type raises :class:`ConfigError` naming the key (the app answers 400).

Imports Maestro, the standard library, ``protocol.noise`` and ``local.noise`` only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import maestro

from ..protocol.noise import (
    NOISE_KEYS,
    NoiseModelError,
    validate_noise_model,
    validate_noise_options,
)
from .noise import NoiseConfigError, build_noise_model, check_noise_method

# Qubit limits per simulation method (qoro-api.md §2.13 codes). A statevector of 28 qubits is
# 4 GiB of complex128; two workers at once still fit this 24 GiB machine. A density matrix
# squares the size. The other methods scale with entanglement, not width; their cap keeps
# histogram keys and envelopes reasonable.
STATEVECTOR_MAX_QUBITS = 28
DENSITY_MATRIX_MAX_QUBITS = 14
OTHER_METHODS_MAX_QUBITS = 4096

_SIMULATION_TYPES = dict(maestro.SimulationType.__members__)
_SIMULATOR_TYPES = dict(maestro.SimulatorType.__members__)
SIMULATION_CODES: dict[int, str] = {v.value: k for k, v in _SIMULATION_TYPES.items()}
SIMULATOR_CODES: dict[int, str] = {v.value: k for k, v in _SIMULATOR_TYPES.items()}
# Backends that cannot be created on this machine (no plugin library): reject at submission.
_UNAVAILABLE_SIMULATORS = {"DistributedGpu", "DistributedMpiGpu"}
# Legacy ExecutionConfig simulator codes (§2.13): QiskitAer 0, QCSim 1, CompositeQiskitAer 2,
# CompositeQCSim 3, GpuSim 4 -- the same integers as maestro's SimulatorType.
_LEGACY_SIMULATOR_CODES = range(0, 5)
_LEGACY_SIMULATION_CODES = range(0, 6)
_API_META_TYPES: dict[str, tuple[type, ...]] = {
    "optimization_level": (int,),
    "resilience_level": (int,),
    "max_execution_time": (int,),
    "transpilation_seed": (int,),
    "layout_method": (str,),
    "routing_method": (str,),
    "approximation_degree": (int, float),
}


class ConfigError(ValueError):
    """A simulator option is unknown, has the wrong type, or cannot be honoured here."""


def _type_name(value: Any) -> str:
    return type(value).__name__


@functools.cache
def _field_types() -> dict[str, str]:
    """``SimulatorConfig`` field name -> annotation text, read from Maestro's own signature.

    Reading it from the installed Maestro keeps the accepted keys in step with its version
    (qoro-api.md §8 item 14).
    """
    doc = maestro.SimulatorConfig.__init__.__doc__ or ""
    sig = doc[doc.find("(") : doc.find(") -> None")]
    found = dict(re.findall(r"(\w+): ([^=]+?) = ", sig))
    fields = getattr(maestro.SimulatorConfig, "_fields", tuple(found))
    return {name: found.get(name, "").strip() for name in fields}


def _check_scalar(key: str, value: Any, annotation: str) -> None:
    """Type-check one value against a Maestro annotation such as ``int | None``."""
    if value is None:
        if "None" not in annotation:
            raise ConfigError(f"maestro_config[{key!r}] must not be null")
        return
    kinds = {part.strip() for part in annotation.split("|")} - {"None"}
    ok = (
        ("bool" in kinds and isinstance(value, bool))
        or ("int" in kinds and isinstance(value, int) and not isinstance(value, bool))
        or ("float" in kinds and isinstance(value, int | float) and not isinstance(value, bool))
        or ("str" in kinds and isinstance(value, str))
        or (any(k.startswith("collections.abc.Mapping") for k in kinds) and _is_str_map(value))
    )
    if not ok:
        want = " or ".join(sorted(kinds)) or "a value Maestro accepts"
        raise ConfigError(f"maestro_config[{key!r}] must be {want}, got {_type_name(value)}")


def _is_str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _enum_code(key: str, value: Any, codes: dict[int, str], where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}[{key!r}] must be an integer code, got {_type_name(value)}")
    if value not in codes:
        known = ", ".join(f"{c}={n}" for c, n in sorted(codes.items()))
        raise ConfigError(f"{where}[{key!r}] = {value} is not a known code ({known})")
    return value


def from_maestro_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Normalize a 0.15.1 ``maestro_config`` object (qoro-api.md §2.13).

    Args:
        raw (Mapping[str, Any]): keys are ``maestro.SimulatorConfig`` field names.

    Returns:
        dict[str, Any]: JSON-safe keyword arguments for ``SimulatorConfig``.

    Raises:
        ConfigError: an unknown key, a wrong type, or an option this service cannot run.
    """
    fields = _field_types()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in NOISE_KEYS:
            continue  # checked together below
        if key not in fields:
            raise ConfigError(f"maestro_config: unknown key {key!r}")
        if key == "simulation_type":
            out[key] = _enum_code(key, value, SIMULATION_CODES, "maestro_config")
        elif key == "simulator_type":
            out[key] = _enum_code(key, value, SIMULATOR_CODES, "maestro_config")
        else:
            _check_scalar(key, value, fields[key])
            out[key] = value
    out = _checked(out, "maestro_config")
    return out | _noise_options(raw, out.get("simulation_type"))


def _noise_options(raw: Mapping[str, Any], simulation_type: int | None) -> dict[str, Any]:
    """The noise keys of a ``maestro_config`` (§2.13), validated with the shared table
    (``protocol.noise``) and by replaying the calls into Maestro once."""
    where = "maestro_config"
    out: dict[str, Any] = {}
    try:
        validate_noise_options(raw.get("noise_seed"), raw.get("noise_realizations"),
                               where=where)
        if raw.get("noise_model") is not None:
            calls = validate_noise_model(raw["noise_model"], where=f"{where}['noise_model']")
            if calls:  # an empty model is no noise (Maestro refuses to run one)
                build_noise_model(calls)
                check_noise_method(calls, simulation_type)
                out["noise_model"] = calls
    except (NoiseModelError, NoiseConfigError) as exc:
        raise ConfigError(str(exc)) from None
    for key in ("noise_seed", "noise_realizations"):
        if raw.get(key) is not None:
            out[key] = raw[key]
    return out


def from_execution_configuration(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Normalize a seed/0.13 ``execution_configuration`` object (qoro-api.md §2.13).

    Args:
        raw (Mapping[str, Any]): the ``ExecutionConfig`` payload.

    Returns:
        dict[str, Any]: JSON-safe keyword arguments for ``SimulatorConfig``.

    Raises:
        ConfigError: an unknown key, a wrong type, or an option this service cannot run.
    """
    where = "execution_configuration"
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "bond_dimension":
            _require_int(where, key, value, minimum=1)
            out["max_bond_dimension"] = value
        elif key == "truncation_threshold":
            _require_number(where, key, value)
            out["singular_value_threshold"] = float(value)
        elif key == "simulator_type":
            legacy = {c: SIMULATOR_CODES[c] for c in _LEGACY_SIMULATOR_CODES}
            out["simulator_type"] = _enum_code(key, value, legacy, where)
        elif key == "simulation_type":
            legacy = {c: SIMULATION_CODES[c] for c in _LEGACY_SIMULATION_CODES}
            out["simulation_type"] = _enum_code(key, value, legacy, where)
        elif key == "seed":  # local extension: old clients have no other way to fix the seed
            _require_int(where, key, value, minimum=0)
            out["seed"] = value
        elif key == "api_meta":
            _check_api_meta(value)  # QPU transpiler options: validated, then unused on simulators
        elif key == "noisy_device":
            raise ConfigError(
                f"{where}['noisy_device'] = {value!r}: named fake devices are not available "
                "in the local service; send a noise model as maestro_config['noise_model'] "
                "(qoro-divi 0.15.1, or the PennyLane device's noise_model option)"
            )
        elif key in ("noise_realizations", "noise_scaling_factor"):
            raise ConfigError(
                f"{where}[{key!r}] only applies with 'noisy_device', which the local service "
                "does not provide; send maestro_config['noise_model'] instead"
            )
        else:
            raise ConfigError(f"{where}: unknown key {key!r}")
    return _checked(out, where)


def _require_int(where: str, key: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}[{key!r}] must be an integer, got {_type_name(value)}")
    if value < minimum:
        raise ConfigError(f"{where}[{key!r}] must be >= {minimum}, got {value}")


def _require_number(where: str, key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}[{key!r}] must be a number, got {_type_name(value)}")


def _check_api_meta(value: Any) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"api_meta must be an object, got {_type_name(value)}")
    for key, item in value.items():
        if key not in _API_META_TYPES:
            # The cloud's own wording (qoro-api.md §1.7).
            raise ConfigError(f"Unknown api_meta key: {key!r}")
        types = _API_META_TYPES[key]
        if isinstance(item, bool) or not isinstance(item, types):
            want = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"api_meta[{key!r}] must be {want}, got {_type_name(item)}")


def _checked(options: dict[str, Any], where: str) -> dict[str, Any]:
    """Build the Maestro object once so value errors surface now, naming the key."""
    simulator = options.get("simulator_type")
    if simulator is not None and SIMULATOR_CODES[simulator] in _UNAVAILABLE_SIMULATORS:
        raise ConfigError(
            f"{where}['simulator_type'] = {simulator} ({SIMULATOR_CODES[simulator]}) is not "
            "available in the local service"
        )
    for key in options:
        if key in NOISE_KEYS:
            continue
        try:
            simulator_config({key: options[key]})
        except TypeError:  # pybind11's message lists every overload: say it plainly
            raise ConfigError(
                f"{where}[{key!r}] = {options[key]!r} is out of range for maestro.SimulatorConfig"
            ) from None
        except ValueError as exc:
            raise ConfigError(f"{where}[{key!r}]: {str(exc).splitlines()[0]}") from None
    return options


def simulator_config(options: Mapping[str, Any], *, seed: int | None = None) -> Any:
    """Build a ``maestro.SimulatorConfig`` from normalized options.

    Args:
        options (Mapping[str, Any]): output of :func:`from_maestro_config` or
            :func:`from_execution_configuration`.
        seed (int | None): overrides ``options["seed"]`` (the runner derives one per circuit).

    Returns:
        maestro.SimulatorConfig: the configuration object.
    """
    kwargs = {k: v for k, v in options.items() if k not in NOISE_KEYS}
    if "simulation_type" in kwargs:
        kwargs["simulation_type"] = _SIMULATION_TYPES[SIMULATION_CODES[kwargs["simulation_type"]]]
    if "simulator_type" in kwargs:
        kwargs["simulator_type"] = _SIMULATOR_TYPES[SIMULATOR_CODES[kwargs["simulator_type"]]]
    if seed is not None:
        kwargs["seed"] = seed
    return maestro.SimulatorConfig(**kwargs)


def max_qubits(options: Mapping[str, Any]) -> tuple[int, str]:
    """The largest circuit width allowed for the chosen simulation method.

    Args:
        options (Mapping[str, Any]): normalized options.

    Returns:
        tuple[int, str]: the limit and the method's name (for the 400 message).
    """
    code = options.get("simulation_type", _SIMULATION_TYPES["Statevector"].value)
    name = SIMULATION_CODES[code]
    if name == "Statevector":
        return STATEVECTOR_MAX_QUBITS, name
    if name == "DensityMatrix":
        return DENSITY_MATRIX_MAX_QUBITS, name
    return OTHER_METHODS_MAX_QUBITS, name
