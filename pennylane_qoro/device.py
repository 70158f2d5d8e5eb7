"""``qoro.maestro``: the PennyLane device that runs circuits as Qoro jobs.

The device is a shell (style.md rule 3): options and endpoint resolution, the preprocessing
pipeline (PennyLane transforms; ``qoro_maestro.toml`` is the only gate list), then per batch

    plan = compile.plan_batch(...)         pure: templates + parameter rows, observables
    raw  = client.run(spec) per job        the only I/O (client/jobs.py)
    out  = results.assemble_results(...)   pure: bit order, shot bins, shapes

It imports the client (``pennylane_qoro.client``), ``compile``, ``results`` and, only when the
embedded service is asked for, ``pennylane_qoro.local``. It never imports ``requests``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.decomposition import null_decomp
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.capabilities import observable_stopping_condition_factory
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    device_resolve_dynamic_wires,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.math import Interface
from pennylane.measurements import (
    CountsMP,
    ExpectationMP,
    ProbabilityMP,
    SampleMeasurement,
    VarianceMP,
)
from pennylane.tape import QuantumScript
from pennylane.transforms import (
    broadcast_expand,
    defer_measurements,
    diagonalize_measurements,
    split_non_commuting,
)
from pennylane.transforms.convert_to_numpy_parameters import convert_to_numpy_parameters
from pennylane.transforms.core import CompilePipeline, transform
from pennylane.wires import Wires

from .compile.batching import OBSERVABLES_SHARE, JobPlan, plan_batch
from .compile.observables import MAX_ANALYTIC_PROBS_WIRES, basis_letters, pauli_sentence
from .results import assemble_jacobians, assemble_results

#: Simulation methods -> maestro's integer ``simulation_type`` codes (qoro-api.md §2.13).
SIMULATION_METHODS: dict[str, int] = {
    "statevector": 0,
    "mps": 1,
    "matrix_product_state": 1,
    "stabilizer": 2,
    "tensor_network": 3,
    "pauli_propagator": 4,
    "extended_stabilizer": 5,
}

DEFAULT_TARGET = "qoro_maestro"

_LOCAL_WARNED = False  # the "running on the embedded service" warning is shown once per process


@dataclass(frozen=True)
class TargetInfo:
    """A resolved target: a simulator cluster or a QPU system, and whether it computes
    expectation values server-side (``supports_expval``, qoro-api.md §2.2-2.3)."""

    name: str
    kind: str  # "simulator" | "qpu"
    supports_expval: bool


def _api_key_available() -> bool:
    """Whether ``QORO_API_KEY`` is in a ``.env`` file or the environment (§1.2)."""
    from .client.config import find_api_key

    return find_api_key() is not None


def _warn_local_once() -> None:
    global _LOCAL_WARNED
    if _LOCAL_WARNED:
        return
    _LOCAL_WARNED = True
    _warn_at_user_frame(
        "qoro.maestro: no Qoro API key and no URL were given, so circuits run on the embedded "
        "local Qoro service (Maestro on this machine). To use the Qoro cloud, set QORO_API_KEY "
        "(environment or .env) or pass api_key=...; pass url='local' to silence this warning."
    )


#: ``warnings.warn(..., skip_file_prefixes=...)`` exists (Python >= 3.12).
_SKIP_FILE_PREFIXES = sys.version_info >= (3, 12)
#: Source folders of PennyLane and of this package. A warning about the user's call skips
#: their frames (``qml.device`` -> device_constructor.py -> ``__init__`` -> ...), so it points
#: at the user's ``qml.device(...)`` line however deep the constructor chain is.
_INTERNAL_PREFIXES = (
    os.path.dirname(qml.__file__) + os.sep,
    os.path.dirname(__file__) + os.sep,
)


def _warn_at_user_frame(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first frame outside PennyLane and this package.

    Python >= 3.12: ``skip_file_prefixes``. Before: the same frame, found by walking the stack
    and counted the way ``warnings`` counts ``stacklevel`` (importlib bootstrap frames are
    skipped by ``warnings`` itself, so they are not counted here either).
    """
    if _SKIP_FILE_PREFIXES:
        warnings.warn(message, category, skip_file_prefixes=_INTERNAL_PREFIXES)
        return
    warnings.warn(message, category, stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a ``warnings.warn`` call in the caller of this function
    point at the first frame outside PennyLane and this package (1 if there is none)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL_PREFIXES):
        frame = frame.f_back
        while frame is not None and _is_bootstrap(frame.f_code.co_filename):
            frame = frame.f_back  # warnings skips these without counting them
        level += 1
    return level if frame is not None else 1


def _is_bootstrap(filename: str) -> bool:
    return "importlib" in filename and "_bootstrap" in filename


def _simulation_code(method: str | int | None) -> int | None:
    if method is None:
        return None
    if isinstance(method, int) and not isinstance(method, bool):
        if method in SIMULATION_METHODS.values():
            return method
    elif isinstance(method, str) and method.lower() in SIMULATION_METHODS:
        return SIMULATION_METHODS[method.lower()]
    raise ValueError(
        f"Unknown simulation method {method!r}; use one of {sorted(SIMULATION_METHODS)} "
        f"or their codes {sorted(set(SIMULATION_METHODS.values()))}."
    )


# --------------------------------------------------------------------------- preprocessing


def _null_postprocessing(results):
    return results[0]


@transform
def validate_qoro_measurements(
    tape: QuantumScript, n_wires: int | None = None, name: str = "qoro.maestro"
):
    """Reject, before any job, what the service cannot compute for this tape.

    Analytic: probabilities on more than ``MAX_ANALYTIC_PROBS_WIRES`` wires, and observables
    without a Pauli decomposition. (State / density-matrix measurements are rejected by
    ``validate_measurements``: a Qoro service returns histograms and expectation values only.)
    """
    if tape.shots:
        return (tape,), _null_postprocessing
    for mp in tape.measurements:
        if isinstance(mp, ProbabilityMP) and mp.mv is None:
            k = len(mp.wires) or n_wires or len(tape.wires)
            if k > MAX_ANALYTIC_PROBS_WIRES:
                raise DeviceError(
                    f"Analytic probs on {k} wires is not supported on {name}: it needs 2^{k} "
                    f"expectation values (limit {MAX_ANALYTIC_PROBS_WIRES} wires). Use shots."
                )
            if mp.obs is not None:
                basis_letters(mp.obs, mp.wires)  # raises DeviceError unless a Pauli word
        if isinstance(mp, ExpectationMP | VarianceMP) and mp.obs is not None:
            pauli_sentence(mp.obs)  # raises DeviceError when there is no decomposition
    return (tape,), _null_postprocessing


def _accepts(caps, mp, shots: bool) -> bool:
    """Listed in the TOML for this mode; with shots also any custom ``SampleMeasurement``
    (built from the shot record by its own ``process_samples``)."""
    if type(mp).__name__ in caps.measurement_processes:
        return True
    return shots and isinstance(mp, SampleMeasurement)


@transform
def reject_unsupported_measurements(tape: QuantumScript, caps=None, name: str = "qoro.maestro"):
    """DeviceError for measurements a Qoro job cannot give: state vectors, density matrices,
    custom state measurements, sample/counts without shots. A Qoro service returns histograms
    and expectation values only. (The wording keeps PennyLane's "not accepted ..." phrases.)"""
    for mp in tape.measurements:
        mode = caps.filter(finite_shots=bool(tape.shots))
        if _accepts(mode, mp, bool(tape.shots)):
            continue
        where = "with finite shots" if tape.shots else "for analytic simulation"
        raise DeviceError(
            f"Measurement {mp} not accepted {where} on {name}: it is not supported by a Qoro "
            "service, which returns histograms and expectation values only."
        )
    return (tape,), _null_postprocessing


def _unboxed(value):
    """The value inside autograd's tracing boxes (``ArrayBox``), matched by name so that
    autograd is not imported."""
    while type(value).__name__ == "ArrayBox":
        value = value._value
    return value


def _only_scalar_boxes(tape: QuantumScript) -> bool:
    """Whether every autograd box of the tape is a scalar gate argument."""
    for op in tape.operations:
        for datum in op.data:
            if type(datum).__name__ == "ArrayBox" and np.ndim(_unboxed(datum)):
                return False
    for mp in tape.measurements:
        if mp.obs is not None and any(type(d).__name__ == "ArrayBox" for d in mp.obs.data):
            return False
    return True


@transform
def numpy_unless_scalar_boxes(tape: QuantumScript):
    """With autograd the device takes tapes as they are (``convert_to_numpy=False``, see
    ``setup_execution_config``): gate arguments that are scalar autograd boxes are read
    straight into parameter rows (``compile.qasm.parameter_rows`` unboxes them), which spares
    PennyLane's ``convert_to_numpy_parameters`` rebuilding every operator of every tape
    (0.47 s of a 193-tape gradient step at 16 qubits). Any other boxed data (broadcast or
    matrix arguments, observable coefficients) gets PennyLane's conversion, as before."""
    if _only_scalar_boxes(tape):
        return (tape,), _null_postprocessing
    return convert_to_numpy_parameters(tape)


def _has_trainable_broadcast(tape: QuantumScript) -> bool:
    """Whether a broadcast gate argument of ``tape`` is trainable (after decomposition every
    gate argument is a scalar, so a non-scalar one is broadcast). Trainability is read from
    the values themselves, as the ML boundary will (``qml.math.requires_grad``): the tape's
    ``trainable_params`` are reset by the transforms that copy it."""
    if not tape.batch_size:
        return False
    return any(
        qml.math.ndim(d) and qml.math.requires_grad(d)
        for op in tape.operations
        for d in op.data
    )


@transform
def expand_trainable_broadcasts(tape: QuantumScript):
    """``broadcast_expand`` only for tapes with a trainable broadcast argument.

    Device derivatives are per tape parameter, so a trainable broadcast argument (a batch
    behind a trainable layer, PennyLane #4462) becomes one parameter per element; its
    elements keep sharing one template, i.e. stay rows of the same job, and the stacking of
    the split results runs outside the ML boundary, where the framework differentiates it.
    A broadcast over constants (a 1600-point landscape) stays one tape: the planner already
    makes one row per element and, for derivatives, one Jacobian per element.
    """
    if not _has_trainable_broadcast(tape):
        return (tape,), _null_postprocessing
    return broadcast_expand(tape)


def _decomposition(op) -> list:
    """An op's own decomposition, else its matrix as a QubitUnitary (which PennyLane
    decomposes into rotations and CNOTs) for ops that only define a matrix."""
    if op.has_decomposition:
        return op.decomposition()
    if op.has_matrix:
        return [qml.QubitUnitary(op.matrix(), wires=op.wires)]
    return op.decomposition()  # raises DecompositionUndefinedError with PennyLane's message


@transform
def drop_snapshots(tape: QuantumScript):
    """Remove ``qml.Snapshot`` ops: a Qoro job has no intermediate states to report, and
    devices without snapshot support ignore them (``qml.snapshots`` still works by splitting
    the circuit into one tape per snapshot)."""
    if not any(isinstance(op, qml.Snapshot) for op in tape.operations):
        return (tape,), _null_postprocessing
    ops = [op for op in tape.operations if not isinstance(op, qml.Snapshot)]
    return (tape.copy(operations=ops),), _null_postprocessing


@transform
def explicit_measurement_wires(tape: QuantumScript):
    """For a device without fixed wires: ``probs()``/``sample()``/``counts()`` without wires
    mean the tape's wires (as on default.qubit), not the batch's wire union the jobs use."""

    def explicit(mp):
        if mp.obs is not None or mp.mv is not None or len(mp.wires):
            return mp
        return type(mp)(wires=tape.wires)

    measurements = [explicit(mp) for mp in tape.measurements]
    if all(a is b for a, b in zip(measurements, tape.measurements, strict=True)):
        return (tape,), _null_postprocessing
    return (tape.copy(measurements=measurements),), _null_postprocessing


class _PerMeasurements:
    """Reuses what a per-tape transform made of a tape's MEASUREMENTS for later tapes holding
    the same measurement objects and shots: the shifted tapes of a parameter-shift batch share
    their measurements, so PennyLane's qubit-wise grouping and diagonalisation run once per
    batch instead of once per tape (at 16 qubits: 1.7 s -> 0.2 s for 192 sampled tapes).

    Only results that are "the input's operations + extra operations, new measurements" are
    reused, rebuilt around each tape's own operations; the cached post-processing function
    depends on the measurements and shots alone. Entries hold their measurement objects, so
    an ``id`` in a key cannot be recycled while the entry lives.
    """

    def __init__(self, size: int = 16):
        self._size = size
        self._entries: dict = {}

    def apply(self, tape: QuantumScript, compute):
        key = (tuple(map(id, tape.measurements)), tape.shots)
        entry = self._entries.get(key)
        if entry is not None:
            _, outputs, fn = entry
            ops = tape.operations
            return [
                tape.copy(operations=ops + list(extra), measurements=list(mps))
                for extra, mps in outputs
            ], fn
        tapes, fn = compute(tape)
        outputs = _extras(tape, tapes)
        if outputs is not None:
            if len(self._entries) >= self._size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (tuple(tape.measurements), outputs, fn)
        return tapes, fn


def _extras(tape: QuantumScript, tapes) -> tuple | None:
    """Per output tape, (extra operations, measurements) if it is the input's operations
    (same names and wires, in order) followed by extra ones; else None."""
    n = len(tape.operations)
    outputs = []
    for out in tapes:
        head = out.operations[:n]
        if (
            len(head) != n
            or out.shots != tape.shots
            or any(
                a.name != b.name or a.wires != b.wires
                for a, b in zip(head, tape.operations, strict=True)
            )
        ):
            return None
        outputs.append((tuple(out.operations[n:]), tuple(out.measurements)))
    return tuple(outputs)


_SPLIT_REUSE = _PerMeasurements()
_DIAGONALIZE_REUSE = _PerMeasurements()


@transform
def split_sampled_groups(tape: QuantumScript):
    """With shots, split into qubit-wise-commuting groups; analytic tapes stay whole.

    Analytic jobs evaluate any set of Pauli words on one circuit, so splitting them would only
    multiply rows. ``split_non_commuting`` refuses ``var`` of a multi-term sum; when the terms
    are qubit-wise commuting the sum is still diagonal in one rotated basis, so such a variance
    gets its own tape measuring the rotated (all-Z) sum; otherwise it is a ``DeviceError``.
    """
    if not tape.shots:
        return (tape,), _null_postprocessing
    return _SPLIT_REUSE.apply(tape, _split_sampled)


def _split_sampled(tape: QuantumScript):
    special = [i for i, mp in enumerate(tape.measurements) if _is_variance_of_sum(mp)]
    if not special:
        return split_non_commuting(tape, grouping_strategy="qwc")
    rest = [mp for i, mp in enumerate(tape.measurements) if i not in special]
    rest_tapes, rest_fn = (), None
    if rest:
        rest_tapes, rest_fn = split_non_commuting(
            tape.copy(measurements=rest), grouping_strategy="qwc"
        )
    var_tapes = [_rotated_variance_tape(tape, tape.measurements[i]) for i in special]
    n_mps, n_rest = len(tape.measurements), len(rest_tapes)
    partitioned = tape.shots.has_partitioned_shots

    def postprocess(results):
        per_bin_rest = _bins(rest_fn(results[:n_rest]), len(rest), partitioned) if rest else None
        per_bin_var = [_bins(r, 1, partitioned) for r in results[n_rest:]]
        out = []
        for b in range(len(per_bin_var[0])):
            rest_iter = iter(per_bin_rest[b]) if rest else iter(())
            values = []
            for i in range(n_mps):
                values.append(
                    per_bin_var[special.index(i)][b][0] if i in special else next(rest_iter)
                )
            out.append(tuple(values) if n_mps > 1 else values[0])
        return tuple(out) if partitioned else out[0]

    return (*rest_tapes, *var_tapes), postprocess


def _bins(result, n_mps: int, partitioned: bool) -> list[list]:
    """A tape result as ``[bin][measurement]``."""
    bins = result if partitioned else (result,)
    return [list(b) if n_mps > 1 else [b] for b in bins]


def _is_variance_of_sum(mp) -> bool:
    if not isinstance(mp, VarianceMP) or mp.obs is None:
        return False
    rep = mp.obs.pauli_rep
    return rep is not None and len([w for w in rep if len(w)]) > 1


def _rotated_variance_tape(tape: QuantumScript, mp) -> QuantumScript:
    """``var(H)`` for qubit-wise commuting Pauli terms: rotate every wire into the basis of its
    Pauli letter and measure the variance of the same sum with Z in place of each letter."""
    rep = mp.obs.pauli_rep
    letters: dict = {}
    for word in rep:
        for wire, letter in word.items():
            if letters.setdefault(wire, letter) != letter:
                raise DeviceError(
                    f"Cannot run var({mp.obs}) with shots on qoro.maestro: its terms are not "
                    "qubit-wise commuting, so no single-qubit measurement basis gives the "
                    "variance. Run it analytically (shots=None) or measure the terms separately."
                )
    rotations = [g for w, p in letters.items() for g in _PAULI[p](w).diagonalizing_gates()]
    z_sum = qml.dot(
        [float(np.real(c)) for c in rep.values()],
        [
            qml.prod(*[qml.Z(w) for w in word]) if len(word) else qml.Identity(tape.wires[0])
            for word in rep
        ],
    )
    return tape.copy(operations=tape.operations + rotations, measurements=[qml.var(z_sum)])


_PAULI = {"X": qml.X, "Y": qml.Y, "Z": qml.Z}


@transform
def diagonalize_sampled(tape: QuantumScript):
    """With shots, rotate every measurement into the computational basis.

    Pauli observables go through ``diagonalize_measurements``; other observables (Hermitian,
    Projector) get their own diagonalizing gates and become eigenvalue measurements.
    """
    if not tape.shots:
        return (tape,), _null_postprocessing
    return _DIAGONALIZE_REUSE.apply(tape, _diagonalize)


def _diagonalize(tape: QuantumScript):
    (tape,), _ = diagonalize_measurements(tape, supported_base_obs={qml.Z})
    extra_ops, measurements = [], []
    for mp in tape.measurements:
        obs = mp.obs
        if obs is None or _is_z_diagonal(obs):
            measurements.append(mp)
            continue
        extra_ops.extend(obs.diagonalizing_gates())
        if isinstance(mp, ProbabilityMP):
            measurements.append(ProbabilityMP(wires=obs.wires))
        elif isinstance(mp, CountsMP):
            eig = np.asarray(obs.eigvals())
            measurements.append(
                CountsMP(eigvals=eig, wires=obs.wires, all_outcomes=mp.all_outcomes)
            )
        else:
            measurements.append(type(mp)(eigvals=np.asarray(obs.eigvals()), wires=obs.wires))
    if not extra_ops:
        return (tape,), _null_postprocessing
    new = tape.copy(operations=tape.operations + extra_ops, measurements=measurements)
    return (new,), _null_postprocessing


def _is_z_diagonal(obs) -> bool:
    rep = obs.pauli_rep
    return rep is not None and all(set(word.values()) <= {"Z"} for word in rep)


def _stopping_condition(capabilities):
    def supported(op) -> bool:
        return capabilities.supports_operation(op.name)

    return supported


# --------------------------------------------------------------------------- the device


@single_tape_support
class QoroDevice(Device):
    """PennyLane device for the Qoro Quantum platform (Maestro simulator clusters and QPUs).

    Args:
        wires (int | Iterable | None): number of wires or their labels. ``None`` uses each
            batch's wires in order of first appearance.
        shots (int | Sequence | None): default shots (deprecated in PennyLane; prefer
            ``qml.set_shots``).
        url (str | None): service URL. ``None``: ``QORO_API_URL`` (``.env``, then the
            environment, like the key), else the Qoro cloud; with no API key anywhere either,
            the embedded local service (warned once per process). ``"local"`` (also as
            ``QORO_API_URL``): the embedded service (``pennylane_qoro.local.start()``).
        api_key (str | None): Qoro API key; ``None`` reads ``QORO_API_KEY`` (``.env``, then the
            environment). Never shown in repr, logs or errors.
        target (str): simulator cluster or QPU system name (default ``"qoro_maestro"``),
            checked against the service's lists on the first execution, before any job.
        method (str | int | None): Maestro simulation method: ``"statevector"``, ``"mps"``,
            ``"stabilizer"``, ``"tensor_network"``, ``"pauli_propagator"``,
            ``"extended_stabilizer"`` (or maestro's integer code).
        max_bond_dimension (int | None): MPS bond dimension cap.
        singular_value_threshold (float | None): MPS truncation threshold.
        seed (int | np.random.Generator | None): seeds client-side randomness (shot-vector bins,
            sample order) and, per job, the simulator's ``seed``; reproducible runs.
        timeout (float | None): seconds to wait for each job (``None``: no deadline).
        tag (str): job tag shown in the Qoro dashboard.
        progress (bool): show a progress bar while waiting for jobs.

    Raises:
        ValueError: an unknown simulation method or a non-positive timeout.
        pennylane_qoro.client.errors.ConfigurationError: a malformed URL, plain ``http://``
            to a non-loopback host, or a ``.env`` entry ``QORO_API_URL``/``QORO_API_KEY``
            without a value.

    **Where it runs.** The URL and the key are each looked up in the same order: the argument,
    then the nearest ``.env`` file (working directory, then its parents; a ``.env`` entry
    shadows the environment), then the environment (``QORO_API_URL``, ``QORO_API_KEY``). With a
    key and no URL: the Qoro cloud (``https://app.qoroquantum.net/api``). With neither a URL nor
    a key anywhere: the embedded local service, started in this process on 127.0.0.1 (Maestro
    on this machine, no account needed), with a one-time warning that ``url="local"``
    silences. A local service run as its own program (``qoro-local serve``) is reached with
    its URL and a token from ``qoro-local token create``.

    **Credits.** The cloud charges each job to the account's credits; running out answers
    HTTP 402 (:class:`~pennylane_qoro.client.errors.PaymentRequiredError`) or ends a job
    ``INSUFFICIENT_CREDITS``. The local service keeps the same ledger (``client.credits()``,
    ``client.transactions()``) so the protocol is identical, but it is free: the embedded
    service's token starts with 10**9 credits (no local run gets near it); a token for a
    ``qoro-local serve`` process, from ``qoro-local token create``, starts with 1000.00
    credits unless ``--credits N`` says otherwise.

    **Measurements.** ``expval``, ``var`` and ``probs``, analytic or with shots (Pauli words,
    their sums and products, and Hermitian/Projector/SparseHamiltonian through a Pauli
    decomposition of their matrix, or with shots their eigenbasis); analytic ``probs`` on
    at most 10 wires (each outcome is one expectation value; with shots any number). ``sample``
    and ``counts`` need shots. ``state``, ``density_matrix`` and other state measurements are
    not available (``DeviceError`` before any job): a Qoro service returns histograms and
    expectation values only. Mid-circuit measurements are deferred (``defer_measurements``).

    **Differentiation.** ``"device"`` (below; ``"best"`` picks it for analytic circuits),
    ``"parameter-shift"`` (``"best"`` with shots), ``"finite-diff"``, ``"spsa"`` and other
    gradient transforms, which run their shifted tapes as ordinary batches. ``"adjoint"`` and
    ``"backprop"`` are not supported (``QuantumFunctionError``): both need the simulator's
    state, which a remote job does not expose.

    **How a batch runs.** One batch of tapes (a QNode call, or all shifted tapes of one
    parameter-shift step) is one Qoro job wherever the protocol allows it: tapes with the same
    gate structure share one template text (every gate argument is a placeholder ``p_k``),
    each tape or broadcast element adds one parameter row. Without shots the job is an
    EXPECTATION job whose single observable group holds the Pauli words of every measurement
    of the batch; with shots it is an EXECUTE job (qubit-wise commuting groups, diagonalised).
    A second job appears only when the batch mixes analytic and sampled tapes, or when the
    observable group is too large for one request; ``qml.Tracker`` records ``jobs``,
    ``circuits``, ``qoro_job_ids`` and, for extra jobs, ``plan_notes`` saying why.

    **Target check.** ``target`` is looked up lazily, on the first execution, against the
    service's simulator clusters and QPU systems (two requests, once per device), so building a
    device never touches the network; an unknown name, analytic execution on a sampling-only
    system or simulator options on a QPU raise ``DeviceError`` before any job is submitted.

    **Shot vectors.** ``shots=[(100, 2), 500]`` runs ONE job of 700 shots per circuit; the
    histogram is split into bins of 100, 100 and 500 by successive multivariate hypergeometric
    draws (seeded from ``seed``). For independent shots this is exactly a random partition of the
    shot record, so bins are independent samples, as separate runs would be.

    **Device derivatives** (``diff_method="device"``; ``"best"`` picks them for analytic
    circuits). The device computes parameter-shift derivatives itself: the forward rows and,
    per trainable gate parameter, the rows of its shift rule (two for
    RX/RY/RZ/PhaseShift/U2/U3/ControlledPhaseShift, four for CRX/CRY/CRZ; untouched
    placeholders get none) are rows of the SAME template in ONE job. Derivatives of expval,
    var and probs, analytic or with shots (shot vectors: one Jacobian per bin). When the
    Jacobian is computed depends on what was asked for (an explicit ``grad_on_execution``
    on the QNode always wins):

    * ``diff_method="device"``: ``grad_on_execution=True``. The forward call already
      computes the Jacobian, so a training step (``qml.grad``, ``loss.backward()``) costs ONE
      job; a forward-only call with trainable parameters (also under ``torch.no_grad()``)
      carries the shift rows too.
    * ``"best"`` (the default): ``grad_on_execution=False``. A forward call runs the forward
      rows only; the Jacobian, when asked for, is one more job (forward and shifted rows), so
      a training step costs two jobs and evaluation stays cheap.

    A broadcast tape whose broadcast argument is trainable is expanded for device derivatives
    (its elements stay rows of one job), so batched inputs behind trainable layers
    (``torch.nn.Linear`` -> ``qml.qnn.TorchLayer``) train without the ``broadcast_expand``
    wrapper PennyLane's parameter-shift transform needs (PennyLane issue #4462); a broadcast
    over constants (a parameter grid) stays one tape::

        @qml.qnode(dev, interface="torch", diff_method="device")
        def circuit(inputs, weights): ...

    >>> dev = qml.device("qoro.maestro", wires=2, url="local")
    >>> @qml.qnode(dev)
    ... def bell():
    ...     qml.Hadamard(0)
    ...     qml.CNOT([0, 1])
    ...     return qml.expval(qml.Z(0) @ qml.Z(1))
    >>> float(bell())
    1.0
    """

    name = "qoro.maestro"
    config_filepath = str(Path(__file__).with_name("qoro_maestro.toml"))

    def __init__(
        self,
        wires=None,
        shots=None,
        *,
        url: str | None = None,
        api_key: str | None = None,
        target: str = DEFAULT_TARGET,
        method: str | int | None = None,
        max_bond_dimension: int | None = None,
        singular_value_threshold: float | None = None,
        seed: int | np.random.Generator | None = None,
        timeout: float | None = None,
        tag: str = "default",
        progress: bool = False,
    ):
        super().__init__(wires=wires, shots=shots)
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self._target_name = str(target)
        self._simulator_options = _maestro_options(
            method, max_bond_dimension, singular_value_threshold
        )
        self._seeded = seed is not None
        self._rng = np.random.default_rng(seed)
        self._timeout = timeout
        self._tag = tag
        self._progress = bool(progress)
        self._url, self._api_key = _resolve_endpoint(url, api_key)
        self._client = None
        self._target: TargetInfo | None = None

    def __repr__(self) -> str:
        wires = len(self.wires) if self.wires is not None else None
        return (
            f"<QoroDevice name={self.name!r} wires={wires} target={self._target_name!r} "
            f"url={self._url!r}>"
        )

    # ---- service access -------------------------------------------------------------------

    @property
    def client(self):
        """The :class:`~pennylane_qoro.client.QoroClient` this device submits through."""
        if self._client is None:
            from .client import QoroClient

            self._client = QoroClient(self._url, self._api_key, progress=self._progress)
        return self._client

    @property
    def target(self) -> TargetInfo:
        """The resolved target; looked up on the service once, on first use."""
        if self._target is None:
            self._target = self._resolve_target()
        return self._target

    def _resolve_target(self) -> TargetInfo:
        name = self._target_name
        clusters = self.client.simulator_clusters()
        for c in clusters:
            if c.get("name") == name:
                return TargetInfo(name, "simulator", bool(c.get("supports_expval", True)))
        systems = self.client.qpu_systems()
        for s in systems:
            if s.get("name") == name:
                # §2.2: a system named "qoro_maestro" always computes expectation values.
                expval = bool(s.get("supports_expval", False)) or name == DEFAULT_TARGET
                return TargetInfo(name, "qpu", expval)
        if name == DEFAULT_TARGET:  # §2.3: the default cluster need not be listed
            return TargetInfo(name, "simulator", True)
        raise DeviceError(
            f"Unknown Qoro target {name!r}. Simulator clusters: "
            f"{[c.get('name') for c in clusters]}; QPU systems: {[s.get('name') for s in systems]}."
        )

    # ---- preprocessing --------------------------------------------------------------------

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None):
        """The compile pipeline: defer MCMs, check measurements, split and diagonalise sampled
        tapes, decompose to the TOML gate set, validate. Broadcast tapes stay whole (one
        parameter row per element), except, with device derivatives, tapes whose broadcast
        argument is trainable (:func:`expand_trainable_broadcasts`)."""
        config = execution_config or ExecutionConfig()
        caps = self.capabilities
        analytic, shots = caps.filter(finite_shots=False), caps.filter(finite_shots=True)
        program = CompilePipeline()
        if not config.convert_to_numpy:
            program.add_transform(numpy_unless_scalar_boxes)
        if config.mcm_config.mcm_method in (None, "deferred"):
            program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(drop_snapshots)
        program.add_transform(reject_unsupported_measurements, caps=caps, name=self.name)
        program.add_transform(
            validate_measurements,
            analytic_measurements=lambda mp: _accepts(analytic, mp, False),
            sample_measurements=lambda mp: _accepts(shots, mp, True),
            name=self.name,
        )
        program.add_transform(
            validate_observables,
            stopping_condition=observable_stopping_condition_factory(analytic),
            stopping_condition_shots=observable_stopping_condition_factory(shots),
            name=self.name,
        )
        n_wires = len(self.wires) if self.wires is not None else None
        program.add_transform(validate_qoro_measurements, n_wires=n_wires, name=self.name)
        if self.wires is None:
            program.add_transform(explicit_measurement_wires)
        program.add_transform(split_sampled_groups)
        program.add_transform(diagonalize_sampled)
        program.add_transform(
            decompose,
            stopping_condition=_stopping_condition(caps),
            skip_initial_state_prep=False,
            decomposer=_decomposition,
            device_wires=self.wires,
            target_gates=caps.gate_set(),
            fixed_decomps={qml.GlobalPhase: null_decomp},
            name=self.name,
        )
        # Templates that borrow work wires (graph decompositions) get spare device wires;
        # there is no mid-circuit reset in the job dialect, so none are recycled.
        program.add_transform(device_resolve_dynamic_wires, wires=self.wires, allow_resets=False)
        program.add_transform(validate_device_wires, self.wires, name=self.name)
        if config.gradient_method == "device":
            # Device derivatives are per tape parameter; a TRAINABLE broadcast parameter
            # (batched inputs behind a trainable layer) must be one parameter per element.
            # Broadcasts over constants (a landscape grid) stay whole: the job planner
            # differentiates them per row. See expand_trainable_broadcasts.
            program.add_transform(expand_trainable_broadcasts)
        return program

    # ---- execution ------------------------------------------------------------------------

    def execute(self, circuits, execution_config: ExecutionConfig | None = None):
        """Run a batch of preprocessed tapes as the fewest Qoro jobs (usually one).

        Raises:
            DeviceError: the target cannot run the batch (analytic tapes on a sampling-only
                target) -- raised before any job is submitted.
            pennylane_qoro.client.errors.QoroError: service errors, unwrapped.
        """
        return self._run_batch(tuple(circuits), "execute")[0]

    # ---- device derivatives -----------------------------------------------------------------

    def supports_derivatives(
        self, execution_config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> bool:
        """Whether the device computes first derivatives itself (``diff_method="device"``).

        ``"device"``: any circuit whose measurements are expval / var / probs, analytic or with
        shots, and whose observables have no trainable coefficients. ``"best"`` picks it only
        where it is exact (analytic circuits); with shots ``"best"`` stays PennyLane's
        parameter-shift transform (ask for ``"device"`` to get the one-job step with shots).
        """
        config = execution_config or ExecutionConfig()
        if config.derivative_order != 1 or config.gradient_method not in ("device", "best"):
            return False
        if circuit is None:
            return True
        if config.gradient_method == "best" and circuit.shots:
            return False
        return _device_differentiable(circuit)

    def setup_execution_config(
        self, config: ExecutionConfig | None = None, circuit: QuantumScript | None = None
    ) -> ExecutionConfig:
        """Resolve ``"best"`` and, for device derivatives, ask PennyLane to use them.

        With ``gradient_method="device"`` this sets ``use_device_gradient=True`` (without it
        PennyLane calls the method name as a transform) and, unless the QNode chose
        ``grad_on_execution`` itself, a default that depends on what the user asked for:

        * explicit ``diff_method="device"``: ``grad_on_execution=True``; the forward rows and
          every parameter-shift row travel in ONE job and the backward pass reuses the cached
          Jacobian (one job per training step, also for forward-only calls);
        * ``"best"`` resolved to device derivatives: ``grad_on_execution=False``; a forward
          call runs only the forward rows, and the Jacobian, when asked for, is one more job
          (forward and shifted rows). Evaluation stays cheap.
        """
        config = config or ExecutionConfig()
        keep_best = from_best = False
        if config.gradient_method == "best":
            # Resolved here, with the circuit: the base class would turn "best" into "device"
            # from supports_derivatives(config) alone, i.e. also for circuits with shots.
            keep_best = not self.supports_derivatives(config, circuit)
            from_best = not keep_best
            config = replace(config, gradient_method=None if keep_best else "device")
        config = super().setup_execution_config(config, circuit)
        if keep_best:
            config = replace(config, gradient_method="best")
        if config.gradient_method == "device":
            on_execution = config.grad_on_execution
            if on_execution is None:
                on_execution = not from_best
            config = replace(
                config, use_device_gradient=True, grad_on_execution=bool(on_execution)
            )
        elif config.interface is Interface.AUTOGRAD and config.convert_to_numpy:
            # Scalar autograd boxes are read by the device itself (numpy_unless_scalar_boxes).
            config = replace(config, convert_to_numpy=False)
        return config

    def compute_derivatives(self, circuits, execution_config: ExecutionConfig | None = None):
        """Parameter-shift Jacobians of a batch, computed in one job (forward + shifted rows).

        Returns:
            tuple: one Jacobian per tape, nested like ``qml.gradients.param_shift``'s.

        Raises:
            DeviceError: a trainable parameter is broadcast (the device preprocessing expands
                such tapes for device derivatives), belongs to an observable, or a measurement
                has no derivative.
        """
        return self._run_batch(tuple(circuits), "derivatives")[1]

    def execute_and_compute_derivatives(
        self, circuits, execution_config: ExecutionConfig | None = None
    ):
        """Results and parameter-shift Jacobians of a batch from ONE job.

        Every tape contributes its forward rows and, per trainable parameter, the rows of its
        shift rule (two for RX/RY/RZ/PhaseShift/U2/U3/ControlledPhaseShift, four for
        CRX/CRY/CRZ), all rows of the tape's template.
        """
        return self._run_batch(tuple(circuits), "execute_and_derivatives")

    # ---- one batch, one plan ----------------------------------------------------------------

    def _run_batch(self, circuits: tuple, mode: str):
        """Plan, run and assemble one batch; ``mode`` is ``"execute"``, ``"derivatives"`` or
        ``"execute_and_derivatives"``. Returns ``(results, jacobians)`` (``None`` for what the
        mode does not compute)."""
        derivatives = mode != "execute"
        if derivatives:
            _check_derivative_tapes(circuits)
        wire_order = (
            self.wires if self.wires is not None else Wires.all_wires([c.wires for c in circuits])
        )
        self._check_target(circuits)
        plan = plan_batch(
            circuits,
            wire_order,
            observables_budget=int(_max_payload() * OBSERVABLES_SHARE),
            observables_size=_observables_size,
            derivatives=derivatives,
        )
        job_ids: list[str] = []
        ran: list[JobPlan] = []
        failed: str | None = None
        results = jacobians = None
        try:
            raw = []
            for job in plan.jobs:
                result = self._run(job)
                job_ids.append(result.job_id)
                ran.append(job)
                raw.append(result.results)
            if mode != "derivatives":
                results = assemble_results(plan, raw, self._rng)
            if derivatives:
                jacobians = assemble_jacobians(plan, raw, self._rng)
        except Exception as exc:
            failed = getattr(exc, "job_id", None)
            raise
        finally:
            self._track(mode, circuits, ran, job_ids, failed, results, plan.notes)
        return results, jacobians

    def _check_target(self, circuits: Sequence[QuantumScript]) -> None:
        target = self.target
        if target.kind == "qpu" and self._simulator_options:
            raise DeviceError(
                f"Simulator options {sorted(self._simulator_options)} cannot be used with the "
                f"QPU system {target.name!r}."
            )
        if not target.supports_expval and any(not c.shots for c in circuits):
            raise DeviceError(
                f"Target {target.name!r} only samples: analytic execution (shots=None) is not "
                "available. Use qml.set_shots(...) to run with shots."
            )

    def _run(self, job: JobPlan):
        from .client import JobSpec, Template

        templates = tuple(
            Template(
                t.qasm,
                t.parameter_names,
                tuple(zip(t.labels, map(tuple, t.values.tolist()), strict=True)),
            )
            for t in job.templates
        )
        target = self.target
        config = None
        if target.kind == "simulator":
            config = dict(self._simulator_options)
            if self._seeded:
                config["seed"] = int(self._rng.integers(2**31 - 1))
            config = config or None
        spec = JobSpec(
            job_type=job.job_type,
            circuits=job.circuits,
            templates=templates,
            shots=job.shots,
            shot_groups=job.shot_groups,
            observables=(job.observables,) if job.observables is not None else None,
            simulator_cluster=target.name if target.kind == "simulator" else None,
            qpu_system=target.name if target.kind == "qpu" else None,
            maestro_config=config,
            tag=self._tag,
        )
        return self.client.run(spec, timeout=self._timeout)

    def _track(self, mode, circuits, ran, job_ids, failed, results, notes) -> None:
        """Tracker update for one batch (style.md rule 11), also when the batch failed.

        The batch keys follow PennyLane's simulators: ``batches``/``executions`` for
        ``execute``, ``derivative_batches``/``derivatives`` for ``compute_derivatives``, and
        ``execute_and_derivative_batches``/``executions``/``derivatives`` for both at once.
        """
        if not self.tracker.active:
            return
        info: dict[str, Any] = dict(_TRACKER_BATCH_KEYS[mode])
        for key in _TRACKER_TAPE_KEYS[mode]:
            info[key] = len(circuits)
        info |= {
            "jobs": len(job_ids) + bool(failed),  # submitted, including one that failed
            "circuits": sum(j.n_circuits for j in ran),
            "qoro_job_ids": list(job_ids),
        }
        shots = sum(j.total_shots for j in ran)
        if shots:
            info["shots"] = shots
        if failed:
            info["qoro_failed_job_id"] = failed
        if notes:
            info["plan_notes"] = list(notes)
        info["batch_len"] = len(circuits)
        if results is not None:
            info["results"] = results
            info["resources"] = [c.specs["resources"] for c in circuits]
        self.tracker.update(**info)
        self.tracker.record()


_TRACKER_BATCH_KEYS = {
    "execute": {"batches": 1},
    "derivatives": {"derivative_batches": 1},
    "execute_and_derivatives": {"execute_and_derivative_batches": 1},
}
_TRACKER_TAPE_KEYS = {
    "execute": ("executions",),
    "derivatives": ("derivatives",),
    "execute_and_derivatives": ("executions", "derivatives"),
}

#: Measurements the device differentiates (their results are linear in, or the variance of,
#: expectation values, so shift rules apply).
_DIFFERENTIABLE_MPS = (ExpectationMP, VarianceMP, ProbabilityMP)


def _device_differentiable(circuit: QuantumScript) -> bool:
    """Whether ``diff_method="device"`` can differentiate ``circuit``: only expval, var and
    probs, and no observable with trainable coefficients (a coefficient's derivative is no
    parameter shift)."""
    for mp in circuit.measurements:
        if not isinstance(mp, _DIFFERENTIABLE_MPS):
            return False
        if mp.obs is not None and any(qml.math.requires_grad(d) for d in mp.obs.data):
            return False
    return True


def _check_derivative_tapes(circuits: Sequence[QuantumScript]) -> None:
    """Reject broadcast trainable parameters: their Jacobian is per element, which PennyLane's
    derivative interface cannot express (with device derivatives the device's preprocessing
    expands exactly those tapes, so this only guards direct calls)."""
    for tape in circuits:
        if not tape.batch_size:
            continue
        params = tape.get_parameters(trainable_only=True)
        if any(np.ndim(p) for p in params):
            raise DeviceError(
                "qoro.maestro cannot differentiate a broadcast trainable parameter directly; "
                "run the tape through the device's preprocessing (which splits the broadcast, "
                "one parameter row per element) or qml.transforms.broadcast_expand first."
            )


def _maestro_options(method, max_bond_dimension, singular_value_threshold) -> dict[str, Any]:
    """The job's ``maestro_config`` keys (qoro-api.md §2.13), only for options the user set."""
    options: dict[str, Any] = {}
    code = _simulation_code(method)
    if code is not None:
        options["simulation_type"] = code
    if max_bond_dimension is not None:
        if int(max_bond_dimension) < 1:
            raise ValueError(f"max_bond_dimension must be >= 1, got {max_bond_dimension}")
        options["max_bond_dimension"] = int(max_bond_dimension)
    if singular_value_threshold is not None:
        options["singular_value_threshold"] = float(singular_value_threshold)
    return options


def _resolve_endpoint(url: str | None, api_key: str | None) -> tuple[str | None, str | None]:
    """(url, api_key) for the client; starts the embedded service when that is the answer.

    ``None`` values are left for the client to resolve (cloud URL, key from .env/env). The
    URL is looked up like the key (argument, ``.env``, environment: ``client/config.py``), so
    a local service's URL and token written together in ``.env`` go together.
    """
    from .client.config import find_api_url, resolve_url

    looked_up = url is None
    if looked_up:
        url = find_api_url()
    if url is None and api_key is None and not _api_key_available():
        _warn_local_once()
        url = "local"
    if url == "local":
        try:
            from .local import start
        except ImportError as exc:  # the [local] extra is not installed
            raise DeviceError(
                "url='local' needs the embedded service: pip install 'pennylane-qoro[local]'"
            ) from exc
        service = start()
        return service.url, service.token
    # ConfigurationError now, not at the first job; a looked-up URL is named by its source.
    return resolve_url(None if looked_up else url), api_key


def _max_payload() -> int:
    from .client.wire import MAX_PAYLOAD_BYTES

    return MAX_PAYLOAD_BYTES


def _observables_size(terms: Sequence[str]) -> int:
    from .client.wire import encode_observables

    return len(encode_observables([list(terms)]))
