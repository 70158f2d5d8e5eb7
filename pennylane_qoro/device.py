"""``qoro.maestro``: the PennyLane device that runs circuits as Qoro jobs.

The device is a shell (style.md rule 3): options, the execution config, the preprocessing
pipeline (``preprocess.build_pipeline``; ``qoro_maestro.toml`` is the only gate list), then
per batch

    plan = compile.plan_batch(...)         pure: templates + parameter rows, observables
    raw  = client.run(spec, journal=...)   the only I/O (client/jobs.py; reuse.py: the rules)
    out  = results.assemble_results(...)   pure: bit order, shot bins, shapes
           jacobians.assemble_jacobians(...)  device derivatives, from the same job

and one tracker record per batch. Where it runs is ``endpoint.resolve_endpoint``; what the
target is, ``targets``.

It imports PennyLane, ``compile``, ``preprocess``, ``results``, ``jacobians``, ``targets``,
``endpoint``, ``job_spec``, ``reuse``, ``dry_run``, ``tracking``, ``protocol`` and the client
(``QoroClient`` lazily). It never imports ``requests`` or the local service (``endpoint``
starts it).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.exceptions import DeviceError
from pennylane.math import Interface
from pennylane.tape import QuantumScript
from pennylane.transforms.core import BoundTransform, CompilePipeline
from pennylane.wires import Wires

from .compile.batching import OBSERVABLES_SHARE, JobPlan, plan_batch
from .dry_run import active_dry_run
from .endpoint import LocalServiceUnavailable, resolve_endpoint
from .jacobians import assemble_jacobians, check_derivative_tapes, device_differentiable
from .job_spec import job_spec
from .noise import DeviceNoise, reject_noise_channels, reject_rotated_samples
from .preprocess import PipelineCaches, build_pipeline
from .protocol.observables import encode_observables
from .protocol.vocabulary import MAX_PAYLOAD_BYTES
from .results import assemble_results
from .reuse import is_local_url, job_options, journal_option
from .spelling import unknown_options_message
from .targets import DEFAULT_TARGET, TargetInfo, check_target, maestro_options, resolve_target
from .tracking import batch_record


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
        noise_model (qml.NoiseModel | NoiseBuilder | list | None): noise to simulate
            (README "Noisy simulation"): a ``qml.NoiseModel`` (translated exactly on the gates
            the device runs, else ``DeviceError`` before any job), a
            :class:`pennylane_qoro.noise.NoiseBuilder`, or Maestro setter calls
            ``[{"method", "args", "kwargs"}]`` on qubit indices. With a model and no
            ``method``, ``method="density_matrix"``.
        noise_realizations (int | None): noise trajectories per circuit (trajectory methods;
            unset: 1 on a density matrix, Maestro's default otherwise).
        noise_seed (int | None): seeds the noise and each job's sampling, so a circuit gives
            the same samples on every call.
        seed (int | np.random.Generator | str | None): seeds client-side randomness
            (shot-vector bins, sample order) and, per job, the simulator's ``seed``. The
            default ``"global"`` draws the seed from NumPy's global generator when the device
            is built, as ``default.qubit`` does (so ``np.random.seed(s)`` first reproduces
            shot results); an int reproduces exactly; ``None`` takes OS entropy.
        timeout (float | None): seconds to wait for each job (``None``: no deadline).
        tag (str): job tag shown in the Qoro dashboard.
        progress (bool): after 2 s of waiting for a job, show a line with its id, status,
            rows done (where the service reports them) and a ticking clock (tqdm, the
            ``progress`` extra).
        journal (bool | str | os.PathLike): the job journal (``docs/journal.rst``): ``True``
            (default: ``$PENNYLANE_QORO_JOURNAL``, else the user's cache folder), a file, or
            ``False``. A job a run never saw finish (a killed process) is reattached to.
        cache (bool): serve deterministic jobs (analytic, or sampled with a fixed seed) that
            completed before from the journal, with no request (default ``False``).

    Raises:
        TypeError: an unknown option (the message suggests the closest valid name).
        ValueError: an unknown simulation method, a non-positive timeout or ``wires < 1``.
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

    **Credits.** The cloud charges each job (HTTP 402 ``PaymentRequiredError`` or
    ``INSUFFICIENT_CREDITS`` when they run out); the local service keeps the same free ledger
    (``client.credits()``): 10**9 credits for the embedded service's token, 1000.00 credits
    per ``qoro-local token create`` token. :func:`pennylane_qoro.estimate` counts first.

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

    >>> import pennylane as qml
    >>> dev = qml.device("qoro.maestro", wires=2, url="local")  # doctest: +SKIP
    >>> @qml.qnode(dev)  # doctest: +SKIP
    ... def bell():
    ...     qml.Hadamard(0)
    ...     qml.CNOT([0, 1])
    ...     return qml.expval(qml.Z(0) @ qml.Z(1))
    >>> float(bell())  # starts the embedded local service  # doctest: +SKIP
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
        noise_model=None,
        noise_realizations: int | None = None,
        noise_seed: int | None = None,
        seed: int | np.random.Generator | str | None = "global",
        timeout: float | None = None,
        tag: str = "default",
        progress: bool = False,
        journal: bool | str | os.PathLike = True,
        cache: bool = False,
        **unknown,
    ):
        if unknown:  # not a pass-through: a clear error with the closest valid names
            raise TypeError(unknown_options_message(self.name, unknown, _DEVICE_OPTIONS))
        if wires is not None and not isinstance(wires, str) and np.ndim(wires) == 0 \
                and int(wires) < 1:
            raise ValueError(
                f"wires={wires!r}: {self.name} needs at least one wire. Pass wires=N (N >= 1), "
                "a list of wire labels, or wires=None to use each circuit's own wires."
            )
        super().__init__(wires=wires, shots=shots)
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self._target_name = str(target)
        self._noise = DeviceNoise(noise_model, noise_realizations, noise_seed, self.wires)
        if self._noise.active and method is None:
            method = "density_matrix"  # exact channels unless the user asks for trajectories
        self._simulator_options = maestro_options(
            method, max_bond_dimension, singular_value_threshold
        )
        # PennyLane's convention for sampling devices (default.qubit, lightning.qubit): the
        # default "global" draws the seed from NumPy's global generator, here, once, with the
        # same call, so np.random.seed(s) before building the device reproduces its shots.
        drawn = _is_global(seed)
        seed = np.random.randint(0, high=10000000) if drawn else seed
        self._rng = np.random.default_rng(seed)
        self._timeout = timeout
        self._tag = tag
        self._progress = bool(progress)
        self._journal = journal_option(journal)
        if cache and self._journal is None:
            raise ValueError("cache=True keeps results in the journal: not with journal=False")
        self._cache = bool(cache)
        try:
            endpoint = resolve_endpoint(url, api_key)
        except LocalServiceUnavailable as exc:
            raise DeviceError(str(exc)) from exc
        self._endpoint = endpoint
        self._url = endpoint.url
        if endpoint.local and not cache:  # its jobs end with this process: none to reattach
            self._journal = None
        # The simulator's per-job seed (maestro_config["seed"]) is a local-service extension:
        # sent for an explicit seed=, and for the drawn default only to a local service
        # (embedded, or a loopback URL); the cloud's handling of the key is not documented.
        self._seeded = seed is not None and (not drawn or endpoint.local
                                              or is_local_url(self._url))
        self._client = None
        self._target: TargetInfo | None = None
        # This device's reuse tables for its sampled-tape transforms (never shared).
        self._pipeline_caches = PipelineCaches()

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
            self._client = self._endpoint.client(progress=self._progress)
        return self._client

    @property
    def target(self) -> TargetInfo:
        """The resolved target; looked up on the service once, on first use."""
        if self._target is None:
            self._target = resolve_target(
                self._target_name, self.client.simulator_clusters, self.client.qpu_systems
            )
        return self._target

    # ---- preprocessing --------------------------------------------------------------------

    def preprocess_transforms(
        self, execution_config: ExecutionConfig | None = None
    ) -> CompilePipeline:
        """The compile pipeline (:func:`pennylane_qoro.preprocess.build_pipeline`): defer
        MCMs, check measurements, split and diagonalise sampled tapes, decompose to the TOML
        gate set, validate. Broadcast tapes stay whole (one parameter row per element),
        except, with device derivatives, tapes whose broadcast argument is trainable."""
        program = build_pipeline(
            self.capabilities,
            self.wires,
            execution_config or ExecutionConfig(),
            self.name,
            caches=self._pipeline_caches,
        )
        # Noise first, on the user's circuit: channels written into it are refused, and
        # with a qml.NoiseModel so are sampled measurements that need basis rotations.
        if self._noise.is_pennylane:
            program.insert(0, BoundTransform(reject_rotated_samples, kwargs={"name": self.name}))
        program.insert(0, BoundTransform(reject_noise_channels, kwargs={"name": self.name}))
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
        return device_differentiable(circuit)

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
            config = replace(config, use_device_gradient=True, grad_on_execution=bool(on_execution))
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
            check_derivative_tapes(circuits, self.name)
        wire_order = (
            self.wires if self.wires is not None else Wires.all_wires([c.wires for c in circuits])
        )
        check_target(self.target, self._simulator_options, any(not c.shots for c in circuits))
        noise = self._noise.job_options(circuits, wire_order)  # DeviceError before any job
        plan = plan_batch(
            circuits,
            wire_order,
            observables_budget=int(MAX_PAYLOAD_BYTES * OBSERVABLES_SHARE),
            observables_size=_observables_size,
            derivatives=derivatives,
        )
        job_ids: list[str] = []
        ran: list[JobPlan] = []
        origins: list[str] = []
        failed: str | None = None
        results = jacobians = None
        dry = active_dry_run(self)
        try:
            raw = []
            for job in plan.jobs:
                result = self._run(job, noise[job.job_type], len(wire_order), dry)
                job_ids.append(result.job_id)
                ran.append(job)
                origins.append(getattr(result, "origin", "submitted"))
                raw.append(result.results)
            if mode != "derivatives":
                results = assemble_results(plan, raw, self._rng)
            if derivatives:
                jacobians = assemble_jacobians(plan, raw, self._rng)
        except Exception as exc:
            failed = getattr(exc, "job_id", None)
            raise
        finally:
            # style.md rule 11: once per batch, also when it failed; an estimate ran nothing
            if self.tracker.active and dry is None:
                self.tracker.update(**batch_record(mode, circuits, ran, job_ids, failed,
                                                   results, plan.notes, origins=origins))
                self.tracker.record()
        return results, jacobians

    def _run(self, job: JobPlan, noise: dict | None, width: int, dry=None):
        """Submit one planned job (through the journal) and wait for its decoded results;
        under :func:`pennylane_qoro.estimate`, only count it."""
        simulator = self._seeded and self.target.kind == "simulator"
        seed = int(self._rng.integers(2**31 - 1)) if simulator else None
        config, rules = job_options(job, self.target, self._simulator_options, noise, seed)
        spec = job_spec(job, self.target, config, self._tag)
        if dry is not None:
            return dry.record(self, spec, job, width, self._journal, rules, cache=self._cache)
        return self.client.run(spec, timeout=self._timeout, journal=self._journal,
                               deterministic=rules.deterministic,
                               cache=self._cache and rules.deterministic,
                               seed_in_key=rules.seed_in_key)

    def jobs(self):
        """The journaled jobs of this device's service (a ``JournalJobs``: iterate them
        newest first, ``get``/``fetch``/``cancel`` one by id; ``str()`` is a table).
        Raises ``DeviceError`` when the device journals nothing."""
        if self._journal is None:
            raise DeviceError(f"{self.name} journals no jobs: built with journal=False, or on "
                              "the embedded service (its jobs end with this process)")
        from .client.journal_jobs import JournalJobs

        return JournalJobs(self._journal, self.client)


#: The constructor's option names, for the unknown-option error.
_DEVICE_OPTIONS = tuple(
    p for p in inspect.signature(QoroDevice.__init__).parameters if p not in ("self", "unknown")
)


def _is_global(seed) -> bool:
    return isinstance(seed, str) and seed == "global"


def _observables_size(terms: Sequence[str]) -> int:
    """Bytes one observable group takes on the wire (the planner's budget unit, §3.4)."""
    return len(encode_observables([list(terms)]))
