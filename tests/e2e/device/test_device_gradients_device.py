"""End to end: device-computed parameter-shift derivatives (``diff_method="device"``).

The forward rows and every parameter-shift row of a step travel in ONE job of the embedded
service (real HTTP, real Maestro). Oracles: ``default.qubit`` with PennyLane's parameter-shift
transform and with backprop (analytic, to 1e-8), and exact Jacobians (with shots, 5 standard
errors).

PennyLane 0.45.1's ``param_shift`` transform is wrong for ``var`` of a multi-term Hamiltonian
(it treats the sum as involutory, see ``_get_non_involuntory_indices``: for
``var(0.7 Z0 Y1 + 0.4 X0 Z1)`` after ``RX(0.3) RY(0.5) CNOT`` it gives d/dx = 0, backprop and
finite differences give 0.535). That measurement is checked against backprop only.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp
from pennylane.exceptions import DeviceError, QuantumFunctionError

TOL = 1e-8
N_WIRES = 3

# (gate, number of parameters, number of wires): every parametrised gate the device runs
# natively (their shift rules: two terms; CRX/CRY/CRZ: four terms), plus gates it decomposes
# (Rot, IsingXX, IsingZZ), whose parameters reach the device rescaled or split.
GATES = [
    (qml.RX, 1, 1),
    (qml.RY, 1, 1),
    (qml.RZ, 1, 1),
    (qml.PhaseShift, 1, 1),
    (qml.U2, 2, 1),
    (qml.U3, 3, 1),
    (qml.Rot, 3, 1),
    (qml.CRX, 1, 2),
    (qml.CRY, 1, 2),
    (qml.CRZ, 1, 2),
    (qml.ControlledPhaseShift, 1, 2),
    (qml.IsingXX, 1, 2),
    (qml.IsingZZ, 1, 2),
]


def random_circuit(seed: int, n_theta: int = 4):
    """A random circuit ``f(theta, inputs)`` of native and decomposed parametrised gates.

    Gate arguments are drawn from the ``n_theta`` trainable ``theta`` (so parameters are shared
    between gates, sometimes rescaled) or are constants. ``inputs`` (shape ``(N_WIRES,)`` or
    ``(B, N_WIRES)`` for a broadcast batch) enter through ``RY`` on every wire. Measurements:
    a Hamiltonian expval, a Pauli-word variance, a Hamiltonian variance and probs.
    """
    rng = np.random.default_rng(seed)
    layout = []
    for _ in range(7):
        gate, n_params, n_gate_wires = GATES[rng.integers(len(GATES))]
        wires = [int(w) for w in rng.permutation(N_WIRES)[:n_gate_wires]]
        # Constants (untouched placeholders) only outside Rot: default.qubit's Rot matrix under
        # torch backprop (an oracle below) fails on a float mixed with tensors.
        constants = 0.0 if gate is qml.Rot else 0.2
        args = [
            (int(rng.integers(n_theta)), float(rng.choice([1.0, 1.0, 0.5, -2.0])))
            if rng.random() >= constants
            else (None, float(rng.uniform(-np.pi, np.pi)))
            for _ in range(n_params)
        ]
        layout.append((gate, wires, args))
    paulis = [qml.X, qml.Y, qml.Z]
    word = qml.prod(*[paulis[rng.integers(3)](w) for w in range(N_WIRES)])
    ham = qml.Hamiltonian(rng.normal(size=2), [word, paulis[rng.integers(3)](0) @ qml.Z(1)])

    def circuit(theta, inputs):
        for w in range(N_WIRES):
            qml.RY(inputs[..., w], wires=w)
        for gate, wires, args in layout:
            values = [c if k is None else c * theta[k] for k, c in args]
            gate(*values, wires=wires)
            qml.CNOT(wires=[wires[0], (wires[0] + 1) % N_WIRES])
        return qml.expval(ham), qml.var(word), qml.var(ham), qml.probs(wires=[2, 0])

    return circuit


def _flat(results):
    """Every result leaf (shot bins, measurements, broadcast) as one 1-d vector."""
    leaves = []

    def walk(r):
        if isinstance(r, tuple | list):
            for item in r:
                walk(item)
        else:
            leaves.append(qml.math.reshape(r, (-1,)))

    walk(results)
    return qml.math.hstack(leaves)


def _reference(circuit, diff_method: str):
    """default.qubit; with the parameter-shift transform, broadcast inputs behind trainable
    parameters must be split first (PennyLane #4462)."""
    qnode = qml.QNode(circuit, qml.device("default.qubit", wires=N_WIRES), diff_method=diff_method)
    return qml.transforms.broadcast_expand(qnode) if diff_method == "parameter-shift" else qnode


def _inputs(broadcast: bool, seed: int):
    rng = np.random.default_rng(100 + seed)
    return rng.uniform(-1, 1, (3, N_WIRES) if broadcast else (N_WIRES,))


def _jacobian(interface, qnode, theta, inputs):
    """d(all results)/d(theta, inputs) as a list of numpy arrays."""
    if interface == "autograd":
        f = lambda t, x: _flat(qnode(t, x))  # noqa: E731
        jac = qml.jacobian(f, argnums=[0, 1])(pnp.array(theta), pnp.array(inputs))
        return [np.asarray(j) for j in jac]
    if interface == "torch":
        torch = pytest.importorskip("torch")
        args = tuple(
            torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (theta, inputs)
        )
        jac = torch.autograd.functional.jacobian(lambda t, x: _flat(qnode(t, x)), args)
        return [j.detach().numpy() for j in jac]
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    args = (jax.numpy.array(theta), jax.numpy.array(inputs))
    jac = jax.jacobian(lambda t, x: _flat(qnode(t, x)), argnums=(0, 1))(*args)
    return [np.asarray(j) for j in jac]


CASES = [("autograd", seed, broadcast) for seed in range(4) for broadcast in (False, True)]
CASES += [("torch", 4, True), ("torch", 5, False), ("jax", 6, True), ("jax", 7, False)]


@pytest.mark.parametrize(("interface", "seed", "broadcast"), CASES)
def test_jacobian_equals_default_qubit_parameter_shift(interface, seed, broadcast, make_device):
    """Test random circuits (multi-parameter and controlled gates, shared parameters, four
    measurements, trainable broadcast inputs): Jacobians equal default.qubit's
    parameter-shift ones to 1e-8, from one job per Jacobian."""
    circuit = random_circuit(seed)
    dev = make_device(N_WIRES)
    theta = np.random.default_rng(seed).uniform(-np.pi, np.pi, 4)
    inputs = _inputs(broadcast, seed)
    qnode = qml.QNode(circuit, dev, interface=interface, diff_method="device")
    jobs = dev.client.stats.jobs
    got = _jacobian(interface, qnode, theta, inputs)
    shift = _jacobian(interface, _reference(circuit, "parameter-shift"), theta, inputs)
    exact = _jacobian(interface, _reference(circuit, "backprop"), theta, inputs)
    n = len(inputs) if broadcast else 1
    not_var_sum = np.r_[0 : 2 * n, 3 * n : 7 * n]  # rows: expval, var(word), var(H), probs(4)
    for a, b, c in zip(got, shift, exact, strict=True):
        assert a.shape == b.shape == (7 * n, *np.shape(b)[1:])
        np.testing.assert_allclose(a[not_var_sum], b[not_var_sum], atol=TOL)
        np.testing.assert_allclose(a, c, atol=TOL)
    # autograd's qml.jacobian runs one forward pass per argument; torch and jax one in all.
    assert dev.client.stats.jobs - jobs == (2 if interface == "autograd" else 1)


# --------------------------------------------------------------------------- shots


def _sampled_circuit(theta):
    qml.RX(theta[0], 0)
    qml.CRY(theta[1], [0, 1])
    qml.U3(theta[2], theta[3], theta[0], wires=1)
    qml.CNOT([1, 0])
    return (
        qml.expval(0.5 * qml.Z(0) @ qml.Z(1) - qml.X(1)),
        qml.var(qml.Y(0)),
        qml.probs(wires=[1]),
    )


# Per measurement of _sampled_circuit: sqrt(sum of squared rule coefficients) <= 0.71 for both
# the two- and four-term rules, times the observable's range bound (|0.5 ZZ - X| <= 1.5;
# probabilities: Bernoulli standard deviation <= 0.5). For var(P) = 1 - <P>^2 of a Pauli word,
# d var = -2 <P> d<P>: at most 2 * 0.71 + 2 * 1 (the error of <P> times |d<P>| <= 1).
SE_FACTORS = (0.71 * 1.5, 2 * 0.71 + 2.0, 0.71 * 0.5)


#: theta[0] enters two gates, so its derivative sums two estimates (at most twice the error).
THETA_USES = np.array([2.0, 1.0, 1.0, 1.0])


def _se_bounds(shots: qml.measurements.Shots) -> np.ndarray:
    """Five standard errors per flattened output (rows, bin by bin) and theta entry (columns)."""
    bounds = []
    for n in shots:
        sizes = (1, 1, 2)  # expval, var, probs of one wire
        bounds += [
            5 * f / np.sqrt(n) for f, k in zip(SE_FACTORS, sizes, strict=True) for _ in range(k)
        ]
    return np.array(bounds)[:, None] * THETA_USES[None, :]


@pytest.mark.parametrize("shots", [40000, [(30000, 2), 20000]])
def test_sampled_jacobian_within_five_standard_errors(shots, make_device):
    """Test sampled expval/var/probs Jacobians (and shot vectors: one Jacobian per bin) against
    the exact Jacobian, from one job of forward and shifted rows."""
    theta = pnp.array([0.7, -1.2, 0.4, 2.1])
    dev = make_device(2, seed=1234)
    qnode = qml.set_shots(qml.QNode(_sampled_circuit, dev, diff_method="device"), shots=shots)
    with qml.Tracker(dev) as tracker:
        got = qml.jacobian(lambda t: _flat(qnode(t)))(theta)
    exact = qml.QNode(_sampled_circuit, qml.device("default.qubit", wires=2))
    want = qml.jacobian(lambda t: _flat(exact(t)))(theta)
    n_bins = len(list(qml.measurements.Shots(shots)))
    want = np.tile(want, (n_bins, 1))
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= _se_bounds(qml.measurements.Shots(shots)))
    assert tracker.history["jobs"] == [1]
    assert tracker.history["execute_and_derivative_batches"] == [1]


# --------------------------------------------------------------------------- jobs per step


def _ansatz(weights):
    qml.BasicEntanglerLayers(weights, wires=range(4), rotation=qml.RY)
    return qml.expval(qml.Z(0) @ qml.Z(3) + 0.5 * qml.X(1))


def test_one_job_per_gradient_step(make_device):
    """Test that qml.grad of a 12-parameter circuit is ONE job: forward row + 24 shifted rows
    of one template, on the tracker and the client's counters; same gradient as
    default.qubit's parameter-shift."""
    dev = make_device(4)
    qnode = qml.QNode(_ansatz, dev, diff_method="device")
    weights = pnp.array(np.random.default_rng(0).uniform(0, 2, (3, 4)), requires_grad=True)
    jobs = dev.client.stats.jobs
    with qml.Tracker(dev) as tracker:
        grad = qml.grad(qnode)(weights)
    assert tracker.history["jobs"] == [1]
    assert tracker.history["execute_and_derivative_batches"] == [1]
    assert tracker.history["circuits"] == [1 + 2 * 12]
    assert "batches" not in tracker.history
    assert dev.client.stats.jobs - jobs == 1
    ref = qml.QNode(_ansatz, qml.device("default.qubit", wires=4), diff_method="parameter-shift")
    np.testing.assert_allclose(grad, qml.grad(ref)(weights), atol=TOL)


def test_grad_on_execution_false_splits_forward_and_derivatives(make_device):
    """Test the opt-out: grad_on_execution=False runs a forward job, then a derivative job."""
    dev = make_device(4)
    qnode = qml.QNode(_ansatz, dev, diff_method="device", grad_on_execution=False)
    weights = pnp.array(np.random.default_rng(1).uniform(0, 2, (3, 4)), requires_grad=True)
    with qml.Tracker(dev) as tracker:
        grad = qml.grad(qnode)(weights)
    assert tracker.history["jobs"] == [1, 1]
    assert tracker.history["batches"] == [1] and tracker.history["derivative_batches"] == [1]
    assert tracker.history["circuits"] == [1, 1 + 2 * 12]
    ref = qml.QNode(_ansatz, qml.device("default.qubit", wires=4), diff_method="parameter-shift")
    np.testing.assert_allclose(grad, qml.grad(ref)(weights), atol=TOL)


def test_best_is_device_when_analytic_and_parameter_shift_with_shots(make_device):
    """Test diff_method="best": device derivatives for analytic circuits (a forward job, then
    one derivative job of forward + shifted rows), PennyLane's parameter-shift transform with
    shots (forward job, then a job of shifted tapes)."""
    dev = make_device(4)
    weights = pnp.array(np.random.default_rng(2).uniform(0, 2, (3, 4)), requires_grad=True)
    with qml.Tracker(dev) as tracker:
        grad = qml.grad(qml.QNode(_ansatz, dev))(weights)
    assert tracker.history["batches"] == [1] and tracker.history["derivative_batches"] == [1]
    assert tracker.history["circuits"] == [1, 1 + 2 * 12]
    assert "execute_and_derivative_batches" not in tracker.history
    ref = qml.QNode(_ansatz, qml.device("default.qubit", wires=4), diff_method="parameter-shift")
    np.testing.assert_allclose(grad, qml.grad(ref)(weights), atol=TOL)
    with qml.Tracker(dev) as tracker:
        qml.grad(qml.set_shots(qml.QNode(_ansatz, dev), shots=100))(weights)
    assert tracker.history["batches"] == [1, 1]
    assert "execute_and_derivative_batches" not in tracker.history


def test_forward_only_call_with_best_runs_no_shifted_rows(make_device):
    """Test that a plain forward call with trainable parameters under the default "best" is
    one job of ONE row (no 2P shifted rows paid for nothing), with autograd and under
    torch.no_grad(); explicit diff_method="device" keeps the one-job step, so its forward
    call carries the shifted rows (the documented trade-off)."""
    torch = pytest.importorskip("torch")
    dev = make_device(4)
    weights = np.random.default_rng(3).uniform(0, 2, (3, 4))
    calls = {
        "autograd": lambda q: q(pnp.array(weights, requires_grad=True)),
        "torch no_grad": lambda q: q(torch.tensor(weights, requires_grad=True)),
    }
    for name, call in calls.items():
        with torch.no_grad(), qml.Tracker(dev) as tracker:
            value = call(qml.QNode(_ansatz, dev))
        assert tracker.history["circuits"] == [1], name
        assert tracker.history["batches"] == [1], name
        assert "execute_and_derivative_batches" not in tracker.history, name
        want = qml.QNode(_ansatz, qml.device("default.qubit", wires=4))(weights)
        np.testing.assert_allclose(qml.math.toarray(value), want, atol=TOL)
    with qml.Tracker(dev) as tracker:
        qml.QNode(_ansatz, dev, diff_method="device")(pnp.array(weights, requires_grad=True))
    assert tracker.history["execute_and_derivative_batches"] == [1]
    assert tracker.history["circuits"] == [1 + 2 * 12]


def test_explicit_grad_on_execution_wins_over_the_default(make_device):
    """Test that grad_on_execution=True with "best" gives the one-job step (forward and
    shifted rows together), the mirror of test_grad_on_execution_false_splits..."""
    dev = make_device(4)
    weights = pnp.array(np.random.default_rng(4).uniform(0, 2, (3, 4)), requires_grad=True)
    qnode = qml.QNode(_ansatz, dev, grad_on_execution=True)
    with qml.Tracker(dev) as tracker:
        grad = qml.grad(qnode)(weights)
    assert tracker.history["jobs"] == [1]
    assert tracker.history["execute_and_derivative_batches"] == [1]
    assert tracker.history["circuits"] == [1 + 2 * 12]
    ref = qml.QNode(_ansatz, qml.device("default.qubit", wires=4), diff_method="parameter-shift")
    np.testing.assert_allclose(grad, qml.grad(ref)(weights), atol=TOL)


# --------------------------------------------------------------------------- broadcasts


def _grid_circuit(x, w):
    qml.RX(x, 0)
    qml.CRY(w[0], [0, 1])
    qml.U3(x, w[1], 0.3, wires=1)
    return qml.expval(qml.Z(0) @ qml.Y(1)), qml.probs(wires=[1])


@pytest.mark.parametrize("diff_method", ["device", "best"])
def test_broadcast_over_constants_is_not_split(diff_method, make_device):
    """Test a broadcast over a NON-trainable argument (a parameter grid) with trainable
    weights under device derivatives: the tape stays whole (one execution, not one tape per
    element), its elements are rows of one job, and the Jacobian equals default.qubit's."""
    dev = make_device(2)
    x = pnp.array([0.1, 0.9, 2.3, -1.0], requires_grad=False)
    w = pnp.array([0.4, -0.7], requires_grad=True)
    qnode = qml.QNode(_grid_circuit, dev, diff_method=diff_method)
    with qml.Tracker(dev) as tracker:
        got = qml.jacobian(lambda w: _flat(qnode(x, w)))(w)
    ref = qml.QNode(_grid_circuit, qml.device("default.qubit", wires=2), diff_method="backprop")
    np.testing.assert_allclose(got, qml.jacobian(lambda w: _flat(ref(x, w)))(w), atol=TOL)
    assert tracker.history["executions"] == [1]
    # per element: the forward row, four shifted rows for CRY's and two for U3's parameter
    rows = len(x) * (1 + 4 + 2)
    if diff_method == "device":
        assert tracker.history["jobs"] == [1] and tracker.history["circuits"] == [rows]
    else:
        assert tracker.history["derivatives"] == [1]
        assert tracker.history["circuits"] == [len(x), rows]


def test_grid_forward_pass_is_one_tape_under_device_derivatives(make_device):
    """Test the landscape case: a 400-point grid of constants through a diff_method="device"
    QNode is one tape of 400 rows in one job (no broadcast_expand into 400 tapes)."""
    dev = make_device(2)
    grid = np.linspace(-np.pi, np.pi, 400)
    with qml.Tracker(dev) as tracker:
        got = qml.QNode(_grid_circuit, dev, diff_method="device")(grid, np.array([0.4, -0.7]))
    want = qml.QNode(_grid_circuit, qml.device("default.qubit", wires=2))(
        grid, np.array([0.4, -0.7])
    )
    assert tracker.history["executions"] == [1]
    assert tracker.history["jobs"] == [1] and tracker.history["circuits"] == [400]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


# --------------------------------------------------------------------------- hybrid torch model


def _classifier(dev, diff_method: str):
    """Linear(3 -> 2) -> TorchLayer(2 qubits) -> Linear(2 -> 2): the batch reaches the QNode as
    a broadcast, trainable input (the output of the first Linear layer)."""
    torch = pytest.importorskip("torch")

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(inputs, weights):
        qml.AngleEmbedding(inputs, wires=range(2))
        qml.StronglyEntanglingLayers(weights, wires=range(2))
        return [qml.expval(qml.Z(i)) for i in range(2)]

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 2),
        qml.qnn.TorchLayer(circuit, {"weights": (2, 2, 3)}),
        torch.nn.Linear(2, 2),
    )


def _data():
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(8, 3, generator=generator) * 2 - 1
    y = (x.sum(dim=1) > 0).long()
    return x, y


def test_torch_classifier_trains_with_one_job_per_step(make_device):
    """Test Linear -> TorchLayer -> Linear with a batch of 8 trains with diff_method="device"
    and no wrapper: the loss falls, each step (forward + backward) is ONE job whose rows are
    the 8 batch elements and their shifted rows, and the first step's gradients equal
    default.qubit's (backprop) for the same weights."""
    torch = pytest.importorskip("torch")
    dev = make_device(2)
    model = _classifier(dev, "device")
    reference = _classifier(qml.device("default.qubit", wires=2), "backprop")
    reference.load_state_dict(model.state_dict())
    x, y = _data()
    loss_fn = torch.nn.CrossEntropyLoss()
    optimiser = torch.optim.Adam(model.parameters(), lr=0.1)
    losses, jobs_per_step = [], []
    with qml.Tracker(dev) as tracker:
        for step in range(10):
            jobs = dev.client.stats.jobs
            optimiser.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            if step == 0:
                loss_fn(reference(x), y).backward()
                for p, q in zip(model.parameters(), reference.parameters(), strict=True):
                    torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=1e-4)
            optimiser.step()
            losses.append(loss.item())
            jobs_per_step.append(dev.client.stats.jobs - jobs)
    assert jobs_per_step == [1] * 10
    assert tracker.history["jobs"] == [1] * 10
    # 12 trainable rotation angles per element (StronglyEntanglingLayers' Rot -> RZ RY RZ) plus
    # 2 embedding angles, two shifted rows each, plus the forward row; 8 elements.
    assert tracker.history["circuits"] == [8 * (1 + 2 * 14)] * 10
    assert losses[-1] < 0.8 * losses[0]


def test_torch_classifier_with_parameter_shift_hits_pennylane_4462(make_device):
    """Test the failure device derivatives replace: the same model with PennyLane's
    parameter-shift transform cannot differentiate the broadcast trainable input."""
    torch = pytest.importorskip("torch")
    model = _classifier(make_device(2), "parameter-shift")
    x, y = _data()
    with pytest.raises(NotImplementedError, match="#4462"):
        torch.nn.CrossEntropyLoss()(model(x), y).backward()


# --------------------------------------------------------------------------- what it refuses


def test_sample_measurements_are_not_device_differentiable(make_device):
    """Test that diff_method="device" refuses samples (no derivative) before any job."""
    dev = make_device(1)

    @qml.set_shots(10)
    @qml.qnode(dev, diff_method="device")
    def circuit(x):
        qml.RX(x, 0)
        return qml.sample(wires=0)

    jobs = dev.client.stats.jobs
    with pytest.raises(QuantumFunctionError, match="does not support device"):
        qml.jacobian(circuit)(pnp.array(0.3))
    assert dev.client.stats.jobs == jobs


def test_trainable_observable_coefficients(make_device):
    """Test trainable Hamiltonian coefficients: "device" refuses them; "best" falls back to
    the parameter-shift transform and matches default.qubit."""
    dev = make_device(1)

    def circuit(coeffs, x):
        qml.RX(x, 0)
        return qml.expval(qml.Hamiltonian(coeffs, [qml.Z(0), qml.Y(0)]))

    coeffs, x = pnp.array([0.5, -0.3]), pnp.array(0.8)
    with pytest.raises(QuantumFunctionError, match="does not support device"):
        qml.grad(qml.QNode(circuit, dev, diff_method="device"))(coeffs, x)
    got = qml.grad(qml.QNode(circuit, dev, diff_method="best"))(coeffs, x)
    want = qml.grad(qml.QNode(circuit, qml.device("default.qubit", wires=1)))(coeffs, x)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_direct_call_with_broadcast_trainable_parameter_is_refused(make_device):
    """Test compute_derivatives on an unexpanded broadcast trainable parameter: a DeviceError
    naming the fix, before any job."""
    dev = make_device(1)
    tape = qml.tape.QuantumScript(
        [qml.RX(np.array([0.1, 0.2]), 0)], [qml.expval(qml.Z(0))], trainable_params=[0]
    )
    jobs = dev.client.stats.jobs
    with pytest.raises(DeviceError, match="broadcast_expand"):
        dev.compute_derivatives((tape,))
    assert dev.client.stats.jobs == jobs


def test_direct_call_broadcast_over_untrained_parameter(make_device):
    """Test compute_derivatives on a tape broadcast over a NON-trainable parameter: one row
    per element and shift, a Jacobian per element, equal to param_shift's."""
    dev = make_device(2)
    ops = [qml.RX(np.array([0.1, 0.9, 2.0]), 0), qml.CRY(0.4, [0, 1]), qml.U2(0.3, -0.6, 1)]
    tape = qml.tape.QuantumScript(
        ops, [qml.expval(qml.Z(1)), qml.probs(wires=[0, 1])], trainable_params=[1, 3]
    )
    with qml.Tracker(dev) as tracker:
        got = dev.compute_derivatives((tape,))[0]
    assert tracker.history["circuits"] == [3 * (1 + 4 + 2)]
    assert tracker.history["derivative_batches"] == [1]
    tapes, fn = qml.gradients.param_shift(tape)
    want = fn(qml.device("default.qubit", wires=2).execute(tapes))
    for g_mp, w_mp in zip(got, want, strict=True):
        for a, b in zip(g_mp, w_mp, strict=True):
            assert np.shape(a) == np.shape(b)
            np.testing.assert_allclose(a, b, atol=TOL)
