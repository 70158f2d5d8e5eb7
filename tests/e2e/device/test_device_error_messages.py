"""End to end: what each error a user meets says, word for word where it matters.

One test per case of issue #15: each message says what is wrong and how to fix it, names
measurements as PennyLane does (``qml.counts()``), suggests the closest valid name for a typo,
and never leaks an internal name (``simulation_type``) or a ``KeyError``. Every error is raised
before any job reaches the service (``_no_job``), except the timeout, which is about a job.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

from pennylane_qoro.client.errors import ConfigurationError, DeadlineExceededError


def _no_job(dev, call):
    """Run ``call``; return the exception it raised and check no job reached the service."""
    before = dev.client.stats.jobs
    with pytest.raises(Exception) as info:
        call()
    assert dev.client.stats.jobs == before
    return info.value


def _qnode(dev, measure, shots=None):
    def circuit():
        qml.RX(0.2, 0)
        qml.CNOT([0, 1])
        return measure()

    return qml.set_shots(qml.QNode(circuit, dev), shots=shots)


class TestMeasurementsWithoutShots:
    """``qml.sample()`` / ``qml.counts()`` analytically: say they need shots, and how."""

    @pytest.mark.parametrize("name", ["counts", "sample"])
    def test_sample_measurements_need_shots(self, name, make_device):
        """Test the message names the measurement as written and says how to add shots."""
        dev = make_device(2)
        error = _no_job(dev, _qnode(dev, lambda: getattr(qml, name)()))
        text = str(error)
        assert isinstance(error, DeviceError)
        assert text.startswith(f"qml.{name}() needs shots: ")
        assert "qml.set_shots(qnode, shots=1000)" in text and "shots=1000" in text
        assert "Mp(" not in text and "wires=[]" not in text  # no class repr

    def test_the_shots_fix_works(self, make_device):
        """Test the fix the message gives: the same QNode with qml.set_shots runs."""
        dev = make_device(2, seed=3)
        counts = _qnode(dev, qml.counts, shots=100)()
        assert sum(counts.values()) == 100


class TestStateMeasurements:
    """Measurements a Qoro service never returns, named as PennyLane names them."""

    @pytest.mark.parametrize(
        "written, measure",
        [
            ("qml.state()", qml.state),
            ("qml.density_matrix()", lambda: qml.density_matrix(wires=[0])),
            ("qml.vn_entropy()", lambda: qml.vn_entropy(wires=[0])),
            ("qml.purity()", lambda: qml.purity(wires=[0])),
            ("qml.mutual_info()", lambda: qml.mutual_info(wires0=[0], wires1=[1])),
        ],
    )
    def test_named_as_written_with_what_to_use_instead(self, written, measure, make_device):
        """Test the PennyLane name, the reason and the alternatives."""
        dev = make_device(2)
        text = str(_no_job(dev, _qnode(dev, measure)))
        assert text.startswith(
            f"{written} is not accepted for analytic simulation on qoro.maestro: it is not "
            "supported by a Qoro service")
        assert "never the quantum state" in text and "qml.expval()" in text
        assert "vnentropy" not in text and "mutualinfo" not in text

    def test_with_shots_keeps_pennylanes_phrase(self, make_device):
        """Test the finite-shot wording (PennyLane's device suite matches it)."""
        dev = make_device(2)
        text = str(_no_job(dev, _qnode(dev, qml.state, shots=10)))
        assert text.startswith("qml.state() is not accepted with finite shots on qoro.maestro")
        assert "not supported" in text  # --skip-ops turns DeviceErrors saying so into xfails


class TestNearMisses:
    """Typos get the closest valid name (difflib)."""

    def test_unknown_option_suggests_the_closest(self, qoro_service):
        """Test ``seeed=1``: a TypeError naming ``seed`` and listing the options."""
        with pytest.raises(TypeError) as info:
            qml.device("qoro.maestro", wires=1, url="local", seeed=1)
        text = str(info.value)
        assert "qoro.maestro got an unknown option 'seeed' (did you mean 'seed'?)" in text
        assert "Valid options: wires, shots, url, api_key, target, method" in text

    def test_several_unknown_options(self, qoro_service):
        """Test each unknown option is named, with a suggestion only where one is close."""
        with pytest.raises(TypeError) as info:
            qml.device("qoro.maestro", wires=1, url="local", timout=3, zzzz=1)
        text = str(info.value)
        assert "got unknown options 'timout' (did you mean 'timeout'?), 'zzzz'." in text

    def test_url_near_local(self, isolated_env):
        """Test ``url='locl'``: says it is neither 'local' nor a URL, and suggests 'local'."""
        with pytest.raises(ConfigurationError) as info:
            qml.device("qoro.maestro", wires=1, url="locl")
        assert str(info.value) == (
            "url='locl' is neither 'local' nor an http(s):// URL. Did you mean 'local'? "
            "('local' is the embedded local service.)"
        )

    def test_environment_url_near_local(self, isolated_env, monkeypatch):
        """Test the same for ``QORO_API_URL=Lokal``, named by its source."""
        monkeypatch.setenv("QORO_API_URL", "Lokal")
        with pytest.raises(ConfigurationError, match=r"QORO_API_URL='Lokal' is neither"):
            qml.device("qoro.maestro", wires=1)

    def test_method_near_miss(self):
        """Test ``method='mpss'`` suggests ``'mps'`` and still lists every method."""
        with pytest.raises(ValueError) as info:
            qml.device("qoro.maestro", wires=1, url="local", method="mpss")
        text = str(info.value)
        assert "Unknown simulation method 'mpss' (did you mean 'mps'?); use one of [" in text
        assert "'statevector'" in text

    def test_target_near_miss(self, make_device):
        """Test ``target='qoro_maestr'`` suggests the real cluster name, before any job."""
        dev = make_device(2, target="qoro_maestr")
        text = str(_no_job(dev, _qnode(dev, lambda: qml.expval(qml.Z(0)))))
        assert "Unknown Qoro target 'qoro_maestr'. Did you mean 'qoro_maestro'?" in text


def test_qpu_with_simulator_method_names_the_users_option(make_device):
    """Test ``target='local_qpu', method='mps'``: names ``method='mps'``, not the wire key."""
    dev = make_device(2, target="local_qpu", method="mps")
    text = str(_no_job(dev, _qnode(dev, lambda: qml.expval(qml.Z(0)), shots=10)))
    assert text.startswith("method='mps' cannot be used with the QPU system 'local_qpu': ")
    assert "Drop them, or run on a simulator cluster (target='qoro_maestro')." in text
    assert "simulation_type" not in text


@pytest.mark.parametrize("wires", [0, -2])
def test_zero_wires_is_a_clear_error(wires, qoro_service):
    """Test ``wires=0``: a ValueError saying what to pass, not ``KeyError: 0`` later."""
    with pytest.raises(ValueError) as info:
        qml.device("qoro.maestro", wires=wires, url="local")
    assert str(info.value) == (
        f"wires={wires}: qoro.maestro needs at least one wire. Pass wires=N (N >= 1), a list "
        "of wire labels, or wires=None to use each circuit's own wires."
    )


def test_postselection_is_our_own_clear_error(make_device):
    """Test ``qml.measure(0, postselect=1)``: the device's error, not PennyLane's Projector
    gate message, with shots and without."""

    def circuit():
        qml.Hadamard(0)
        m = qml.measure(0, postselect=1)
        qml.cond(m, qml.X)(1)
        return qml.expval(qml.Z(1))

    dev = make_device(2)
    for shots in (None, 100):
        error = _no_job(dev, qml.set_shots(qml.QNode(circuit, dev), shots=shots))
        text = str(error)
        assert isinstance(error, DeviceError)
        assert text.startswith(
            "Postselection (qml.measure(wires=[0], postselect=1)) is not supported on "
            "qoro.maestro: a Qoro job cannot discard shots."
        )
        assert "Projector" not in text


def test_timeout_says_the_job_was_cancelled(make_device):
    """Test a device ``timeout`` that fires: the error says the job was cancelled, and it is
    (not "still RUNNING on the service")."""
    n = 20  # a 30-element broadcast on 20 qubits runs for seconds on the local service
    dev = make_device(n, timeout=0.2)

    @qml.set_shots(10)
    @qml.qnode(dev)
    def slow(x):
        for i in range(n):
            qml.Hadamard(i)
        for _ in range(4):
            for i in range(n - 1):
                qml.CNOT([i, i + 1])
                qml.RZ(x, i + 1)
        return qml.counts()

    with pytest.raises(DeadlineExceededError) as info:
        slow(np.linspace(0.1, 3.0, 30))
    error = info.value
    assert error.cancelled
    assert str(error) == (
        f"Qoro job {error.job_id} did not finish in time (last status {error.status}): "
        "timeout=0.2 s passed, so the job was cancelled"
    )
    assert dev.client.status(error.job_id)["status"] == "CANCELLED"
