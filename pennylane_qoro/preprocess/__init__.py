"""The device's preprocessing: PennyLane transforms and the pipeline that composes them.

Modules, one concern each (every transform a ``@transform`` with the contract
``tape -> (batch, postprocessing)``; those that raise take ``name=`` for their messages):

* :mod:`.validation`: refuse what a Qoro service cannot compute
  (``reject_unsupported_measurements``, ``validate_qoro_measurements``);
* :mod:`.rewrites`: result-preserving rewrites (``drop_snapshots``,
  ``explicit_measurement_wires``, ``numpy_unless_scalar_boxes``,
  ``expand_trainable_broadcasts``) and the decomposition hooks;
* :mod:`.sampling`: tapes with shots (``split_sampled_groups``, ``diagonalize_sampled``);
* :mod:`.reuse`: the per-device reuse table those two may be given;
* :mod:`.pipeline`: :func:`build_pipeline` (capabilities, wires, config, name).

Imports PennyLane and ``compile.observables`` only; never the client, the local service or
the device.
"""

from __future__ import annotations

from .pipeline import PipelineCaches, build_pipeline
from .reuse import MeasurementReuse
from .rewrites import (
    drop_snapshots,
    expand_trainable_broadcasts,
    explicit_measurement_wires,
    numpy_unless_scalar_boxes,
)
from .sampling import diagonalize_sampled, split_sampled_groups
from .validation import reject_unsupported_measurements, validate_qoro_measurements

__all__ = [
    "MeasurementReuse",
    "PipelineCaches",
    "build_pipeline",
    "diagonalize_sampled",
    "drop_snapshots",
    "expand_trainable_broadcasts",
    "explicit_measurement_wires",
    "numpy_unless_scalar_boxes",
    "reject_unsupported_measurements",
    "split_sampled_groups",
    "validate_qoro_measurements",
]
