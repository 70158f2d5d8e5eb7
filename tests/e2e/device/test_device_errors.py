"""End to end: every unsupported input fails with a clear error BEFORE any job is submitted."""

from __future__ import annotations

import warnings

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

import pennylane_qoro.device as device_module
import pennylane_qoro.endpoint as endpoint_module


def _no_job(dev, call):
    """Run ``call``; return the exception it raised and check no job reached the service."""
    before = dev.client.stats.jobs
    with qml.Tracker(dev) as tracker, pytest.raises(Exception) as info:
        call()
    assert dev.client.stats.jobs == before
    assert tracker.totals.get("jobs", 0) == 0
    return info.value


def _qnode(dev, measure, shots=None):
    def circuit():
        qml.RX(0.2, 0)
        qml.CNOT([0, 1])
        return measure()

    return qml.set_shots(qml.QNode(circuit, dev), shots=shots)


BAD_ANALYTIC = {
    "state": lambda: qml.state(),
    "density_matrix": lambda: qml.density_matrix(wires=[0]),
    "sample_without_shots": lambda: qml.sample(wires=[0]),
    "probs_on_11_wires": lambda: qml.probs(wires=range(11)),
    "probs_of_hermitian": lambda: qml.probs(op=qml.Hermitian(np.diag([1.0, 2.0]), wires=0)),
}


@pytest.mark.parametrize("name", sorted(BAD_ANALYTIC))
def test_unsupported_analytic_measurements(name, make_device):
    """Test DeviceError, before any job, for what an analytic Qoro job cannot return."""
    dev = make_device(12)
    error = _no_job(dev, _qnode(dev, BAD_ANALYTIC[name]))
    assert isinstance(error, DeviceError)


def test_state_with_shots(make_device):
    """Test that qml.state() is refused with shots too."""
    dev = make_device(2)
    assert isinstance(_no_job(dev, _qnode(dev, qml.state, shots=10)), DeviceError)


def test_variance_of_non_commuting_sum_with_shots(make_device):
    """Test a clear DeviceError for var(X + Z) with shots (no single measurement basis)."""
    dev = make_device(2)
    error = _no_job(dev, _qnode(dev, lambda: qml.var(qml.X(0) + qml.Z(0)), shots=100))
    assert isinstance(error, DeviceError) and "qubit-wise commuting" in str(error)


def test_wrong_wires(make_device):
    """Test that a wire the device does not have is refused."""
    dev = make_device(["a", "b"])
    error = _no_job(dev, _qnode(dev, lambda: qml.expval(qml.Z(0))))
    assert "wires" in str(error).lower()


def test_unknown_target(qoro_service):
    """Test an unknown target name: DeviceError listing the real ones, no job."""
    dev = qml.device(
        "qoro.maestro",
        wires=2,
        url=qoro_service.url,
        api_key=qoro_service.token,
        target="no_such_cluster",
    )
    error = _no_job(dev, _qnode(dev, lambda: qml.expval(qml.Z(0))))
    assert isinstance(error, DeviceError)
    assert "qoro_maestro" in str(error) and "local_qpu" in str(error)


def test_analytic_on_sampling_only_qpu(qoro_service):
    """Test that shots=None on a sampling-only QPU system is refused; shots work."""
    dev = qml.device(
        "qoro.maestro",
        wires=2,
        url=qoro_service.url,
        api_key=qoro_service.token,
        target="local_qpu",
    )
    error = _no_job(dev, _qnode(dev, lambda: qml.expval(qml.Z(0))))
    assert isinstance(error, DeviceError) and "only samples" in str(error)
    value = _qnode(dev, lambda: qml.expval(qml.Z(1)), shots=2000)()
    assert abs(value - np.cos(0.2)) < 5 / np.sqrt(2000)


def test_simulator_options_with_qpu(qoro_service):
    """Test that Maestro options cannot be sent to a QPU system."""
    dev = qml.device(
        "qoro.maestro",
        wires=2,
        url=qoro_service.url,
        api_key=qoro_service.token,
        target="local_qpu",
        method="mps",
    )
    error = _no_job(dev, _qnode(dev, lambda: qml.expval(qml.Z(0)), shots=10))
    assert isinstance(error, DeviceError) and "QPU" in str(error)


def test_unknown_method_is_refused_at_construction(qoro_service):
    """Test that an unknown simulation method names the valid ones."""
    with pytest.raises(ValueError, match="statevector"):
        qml.device("qoro.maestro", wires=1, url=qoro_service.url, api_key="k", method="magic")


def test_repr_shows_target_and_url_never_the_key(qoro_service):
    """Test the repr."""
    secret = "sk-very-secret-key-123"
    dev = qml.device("qoro.maestro", wires=1, url=qoro_service.url, api_key=secret)
    text = repr(dev)
    assert "qoro_maestro" in text and qoro_service.url in text and secret not in text


def test_no_key_no_url_uses_local_service_and_warns_once(monkeypatch, tmp_path):
    """Test the fallback: no API key and no URL anywhere -> embedded service, one warning."""
    monkeypatch.delenv("QORO_API_KEY", raising=False)
    monkeypatch.delenv("QORO_API_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file above a fresh temporary directory
    monkeypatch.setattr(endpoint_module, "_WARNED", set())
    with pytest.warns(UserWarning, match="QORO_API_KEY") as record:
        dev = qml.device("qoro.maestro", wires=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qml.device("qoro.maestro", wires=1)
    assert sum("embedded local" in str(w.message) for w in record) == 1
    assert dev._url.startswith("http://127.0.0.1:")
    assert qml.QNode(lambda: qml.expval(qml.Z(0)), dev)() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "skip_file_prefixes",
    [
        pytest.param(
            True,
            marks=pytest.mark.skipif(
                not endpoint_module._SKIP_FILE_PREFIXES,
                reason="warnings.warn(skip_file_prefixes=...) needs Python >= 3.12",
            ),
        ),
        False,
    ],
)
def test_local_warning_points_at_the_users_line(skip_file_prefixes, monkeypatch, tmp_path):
    """Test the embedded-service warning names the user's ``qml.device(...)`` line (this
    file), not PennyLane's device_constructor.py, through qml.device and the class itself;
    both the skip_file_prefixes path and the stack-walking fallback."""
    monkeypatch.delenv("QORO_API_KEY", raising=False)
    monkeypatch.delenv("QORO_API_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(endpoint_module, "_SKIP_FILE_PREFIXES", skip_file_prefixes)
    makers = {
        "qml.device": lambda: qml.device("qoro.maestro", wires=1),
        "QoroDevice": lambda: device_module.QoroDevice(wires=1),
    }
    for name, make in makers.items():
        monkeypatch.setattr(endpoint_module, "_WARNED", set())
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            make()
        [warning] = [w for w in record if "embedded local" in str(w.message)]
        assert warning.filename == __file__, name


def test_url_and_key_from_the_same_dotenv_go_together(qoro_service, monkeypatch, tmp_path):
    """Test QORO_API_URL in a .env file is used like QORO_API_KEY from the same file (and wins
    over the environment), so a local token in .env never goes to another URL."""
    monkeypatch.delenv("QORO_API_KEY", raising=False)
    monkeypatch.setenv("QORO_API_URL", "https://elsewhere.example.org/api")
    (tmp_path / ".env").write_text(
        f"QORO_API_URL={qoro_service.url}\nQORO_API_KEY={qoro_service.token}\n"
    )
    monkeypatch.chdir(tmp_path)
    dev = qml.device("qoro.maestro", wires=1)
    assert dev._url == qoro_service.url
    assert qml.QNode(lambda: qml.expval(qml.Z(0)), dev)() == pytest.approx(1.0)


def test_dotenv_url_local_selects_the_embedded_service_silently(monkeypatch, tmp_path):
    """Test QORO_API_URL=local in .env: the embedded service, without the no-key warning."""
    monkeypatch.delenv("QORO_API_KEY", raising=False)
    monkeypatch.delenv("QORO_API_URL", raising=False)
    (tmp_path / ".env").write_text("QORO_API_URL=local\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(endpoint_module, "_WARNED", set())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dev = qml.device("qoro.maestro", wires=1)
    assert dev._url.startswith("http://127.0.0.1:")
