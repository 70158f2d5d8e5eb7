"""The device's compile pipeline, composed from PennyLane's transforms and this package's.

:func:`build_pipeline` is what ``QoroDevice.preprocess_transforms`` returns: one
``add_transform`` per concern, each guarded by the ``ExecutionConfig`` field it depends on
(PennyLane's ``default_qubit.preprocess_transforms`` shape). ``qoro_maestro.toml`` (the
``capabilities``) is the only gate and measurement list.

Imports PennyLane and the sibling modules; never the client, the local service or the device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pennylane as qml
from pennylane.decomposition import null_decomp
from pennylane.devices import ExecutionConfig
from pennylane.devices.capabilities import (
    DeviceCapabilities,
    observable_stopping_condition_factory,
)
from pennylane.devices.preprocess import (
    decompose,
    device_resolve_dynamic_wires,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.transforms import defer_measurements
from pennylane.transforms.core import CompilePipeline
from pennylane.wires import Wires

from .reuse import MeasurementReuse
from .rewrites import (
    decomposition,
    drop_snapshots,
    expand_trainable_broadcasts,
    explicit_measurement_wires,
    numpy_unless_scalar_boxes,
    stopping_condition,
)
from .sampling import diagonalize_sampled, split_sampled_groups
from .validation import (
    accepts,
    reject_postselection,
    reject_unsupported_measurements,
    validate_qoro_measurements,
)

__all__ = ["PipelineCaches", "build_pipeline"]


@dataclass(frozen=True)
class PipelineCaches:
    """The reuse tables of one device's sampled-tape transforms (see :mod:`.reuse`); a
    device owns one, so no cache is shared between devices."""

    split: MeasurementReuse = field(default_factory=MeasurementReuse)
    diagonalize: MeasurementReuse = field(default_factory=MeasurementReuse)


def build_pipeline(
    capabilities: DeviceCapabilities,
    wires: Wires | None,
    config: ExecutionConfig,
    name: str,
    *,
    caches: PipelineCaches | None = None,
) -> CompilePipeline:
    """The compile pipeline: defer MCMs, check measurements, split and diagonalise sampled
    tapes, decompose to the TOML gate set, validate wires.

    Broadcast tapes stay whole (one parameter row per element), except, with device
    derivatives, tapes whose broadcast argument is trainable (``expand_trainable_broadcasts``).

    Args:
        capabilities (DeviceCapabilities): from ``qoro_maestro.toml``.
        wires (Wires | None): the device wires (``None``: each batch's own).
        config (ExecutionConfig): the resolved execution config.
        name (str): the device named in every error.
        caches (PipelineCaches | None): the device's reuse tables; ``None`` runs stateless.

    Returns:
        CompilePipeline: the transforms, in order.
    """
    split_reuse = caches.split if caches is not None else None
    diagonalize_reuse = caches.diagonalize if caches is not None else None
    analytic = capabilities.filter(finite_shots=False)
    shots = capabilities.filter(finite_shots=True)
    program = CompilePipeline()
    if not config.convert_to_numpy:
        program.add_transform(numpy_unless_scalar_boxes)
    program.add_transform(reject_postselection, name=name)
    if config.mcm_config.mcm_method in (None, "deferred"):
        program.add_transform(defer_measurements, allow_postselect=False)
    program.add_transform(drop_snapshots)
    program.add_transform(reject_unsupported_measurements, caps=capabilities, name=name)
    program.add_transform(
        validate_measurements,
        analytic_measurements=lambda mp: accepts(analytic, mp, False),
        sample_measurements=lambda mp: accepts(shots, mp, True),
        name=name,
    )
    program.add_transform(
        validate_observables,
        stopping_condition=observable_stopping_condition_factory(analytic),
        stopping_condition_shots=observable_stopping_condition_factory(shots),
        name=name,
    )
    n_wires = len(wires) if wires is not None else None
    program.add_transform(validate_qoro_measurements, n_wires=n_wires, name=name)
    if wires is None:
        program.add_transform(explicit_measurement_wires)
    program.add_transform(split_sampled_groups, reuse=split_reuse, name=name)
    program.add_transform(diagonalize_sampled, reuse=diagonalize_reuse)
    program.add_transform(
        decompose,
        stopping_condition=stopping_condition(capabilities),
        skip_initial_state_prep=False,
        decomposer=decomposition,
        device_wires=wires,
        target_gates=capabilities.gate_set(),
        fixed_decomps={qml.GlobalPhase: null_decomp},
        name=name,
    )
    # Templates that borrow work wires (graph decompositions) get spare device wires;
    # there is no mid-circuit reset in the job dialect, so none are recycled.
    program.add_transform(device_resolve_dynamic_wires, wires=wires, allow_resets=False)
    program.add_transform(validate_device_wires, wires, name=name)
    if config.gradient_method == "device":
        # Device derivatives are per tape parameter; a TRAINABLE broadcast parameter
        # (batched inputs behind a trainable layer) must be one parameter per element.
        # Broadcasts over constants (a landscape grid) stay whole: the job planner
        # differentiates them per row. See expand_trainable_broadcasts.
        program.add_transform(expand_trainable_broadcasts)
    return program
