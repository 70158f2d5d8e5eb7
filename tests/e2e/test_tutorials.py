"""End-to-end runs of the tutorials (``tutorials/*.py``) in fast mode.

Each tutorial runs once, as its own subprocess (``sys.executable``), the way a user runs it:
from a fresh temporary working directory, with ``QORO_TUTORIAL_FAST=1``, its figures sent to a
temporary folder (``QORO_TUTORIAL_FIGURES``) and neither ``QORO_API_KEY`` nor ``QORO_API_URL``
set, so ``qml.device("qoro.maestro", ...)`` and ``characterize`` fall back to the embedded local
service (real HTTP, real Maestro). The tests then check the key lines each tutorial prints
against independent oracles where one exists (closed-form values, numpy diagonalisation,
shot-noise bounds) and look at the PNG files it wrote.

Imports only the standard library, numpy, matplotlib (to decode the PNGs) and pytest; nothing
from the package: the tutorials are the code under test.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "tutorials"
TIMEOUT = 600  # seconds per tutorial: a hang fails the test instead of blocking CI

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    """What one tutorial run left behind."""

    stdout: str
    stderr: str
    figures: Path

    def line(self, prefix: str) -> str:
        """The first stdout line starting with ``prefix`` (fails the test when absent)."""
        for line in self.stdout.splitlines():
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting with {prefix!r} in:\n{self.stdout}")

    def match(self, pattern: str) -> re.Match:
        """The first stdout line matching ``pattern`` from its start."""
        for line in self.stdout.splitlines():
            m = re.match(pattern, line)
            if m:
                return m
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.stdout}")


def _run(script: str, workdir: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("QORO_API_KEY", "QORO_API_URL")}
    figures = workdir / "figures"
    env.update(QORO_TUTORIAL_FAST="1", QORO_TUTORIAL_FIGURES=str(figures), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(TUTORIALS / script)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert proc.returncode == 0, (
        f"{script} exited with {proc.returncode}\n--- stdout\n{proc.stdout}\n"
        f"--- stderr\n{proc.stderr}"
    )
    return Run(proc.stdout, proc.stderr, figures)


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    """``tutorial("01_quickstart.py")`` -> :class:`Run`; each script runs once per module."""
    runs: dict[str, Run] = {}

    def get(script: str) -> Run:
        if script not in runs:
            runs[script] = _run(script, tmp_path_factory.mktemp(Path(script).stem))
        return runs[script]

    return get


def assert_png(path: Path) -> None:
    """A real, non-trivial image: PNG signature, a readable size, and actual drawing on it."""
    from matplotlib import image

    assert path.is_file(), f"missing figure {path}"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pixels = image.imread(path)
    height, width = pixels.shape[:2]
    assert width >= 400 and height >= 300, f"{path.name} is only {width}x{height}"
    rgb = pixels[..., :3].reshape(-1, 3)
    colours = np.unique((rgb * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50, f"{path.name} has {len(colours)} colours: nearly blank"
    assert rgb.std() > 0.05, f"{path.name} is nearly uniform"


def pairs(text: str) -> list[tuple[int, int]]:
    """``"4 circuit(s) -> 1 job"`` fragments -> [(4, 1), ...]."""
    return [(int(c), int(j)) for c, j in re.findall(r"(\d+) circuit\(s\) -> (\d+) job", text)]


def pairs_total(line: str) -> tuple[int, int]:
    """``"...: 2 job(s), 6 circuit(s)..."`` -> (2, 6)."""
    m = re.search(r": (\d+) job\(s\), (\d+) circuit\(s\)", line)
    assert m, line
    return int(m.group(1)), int(m.group(2))


def device_calls(stdout: str, header: str) -> list[tuple[int, int]]:
    """The ``device call i: c circuit(s) -> j job(s)`` lines printed right after ``header``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    calls = []
    for line in lines[start + 1:]:
        if not line.startswith("  device call "):
            break
        calls.extend(pairs(line))
    return calls


def test_tutorials_folder_lists_the_five_tutorials():
    """The README of the folder, the repository README and the docs name every tutorial
    script, and each has notebook cells."""
    scripts = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    assert scripts == [
        "01_quickstart.py",
        "02_vqe.py",
        "03_hybrid_torch.py",
        "04_qaoa_characterization.py",
        "05_noise.py",
    ]
    readme = (TUTORIALS / "README.md").read_text()
    top = (TUTORIALS.parent / "README.md").read_text()
    docs = TUTORIALS.parent / "docs" / "tutorials"
    toctree = (docs / "index.rst").read_text()
    for name in scripts:
        assert name in readme and f"`{name}`" in top
        stem = Path(name).stem
        assert stem in toctree and (docs / f"{stem}.rst").is_file(), f"{name}: no docs page"
        text = (TUTORIALS / name).read_text()
        assert text.count("# %% [markdown]") >= 3, f"{name}: too few markdown cells"
        assert "from _figures import" in text, f"{name}: figures not saved through _figures.py"
    shared = (TUTORIALS / "_figures.py").read_text()
    assert "QORO_TUTORIAL_FIGURES" in shared and "matplotlib.use(\"Agg\")" in shared


class TestQuickstart:
    """01_quickstart.py: the README's main example."""

    def test_starts_by_saying_where_it_runs(self, tutorial):
        run = tutorial("01_quickstart.py")
        lines = run.stdout.splitlines()
        assert lines[0].startswith("pennylane-qoro ") and "PennyLane" in lines[0]
        assert lines[1].startswith(
            "device: qoro.maestro on the embedded local service at http://127.0.0.1:"
        )
        # the newcomer is told, once, how to reach the cloud instead
        assert run.stderr.count("QORO_API_KEY") == 1

    def test_bell_counts_are_only_00_and_11(self, tutorial):
        m = tutorial("01_quickstart.py").match(r"Bell state counts \((\d+) shots\): (\{.*\})$")
        shots, counts = int(m.group(1)), ast.literal_eval(m.group(2))
        assert set(counts) == {"00", "11"}
        assert sum(counts.values()) == shots
        # binomial(1000, 1/2): 0.35 * shots is 9.5 standard deviations below the mean
        assert min(counts.values()) > 0.35 * shots

    def test_expval_and_gradient_match_the_closed_form(self, tutorial):
        run = tutorial("01_quickstart.py")
        m = run.match(r"<Z1> at theta=\[(\S+), (\S+)\]: (\S+) \(exact (\S+)\)")
        t0, t1, value = float(m.group(1)), float(m.group(2)), float(m.group(3))
        assert value == pytest.approx(np.cos(t0) * np.cos(t1), abs=1e-6)
        grad = ast.literal_eval(run.line("gradient (parameter-shift):").split(":", 1)[1].strip())
        expected = [-np.sin(t0) * np.cos(t1), -np.cos(t0) * np.sin(t1)]
        np.testing.assert_allclose(grad, expected, atol=1e-6)

    def test_tracker_shows_one_job_per_gradient(self, tutorial):
        run = tutorial("01_quickstart.py")
        # diff_method="device": the device's own parameter-shift, forward + 4 shifted
        # circuits in ONE job
        device = run.match(r"tracker, diff_method='device': (\d+) job\(s\), (\d+) circuit")
        assert (int(device.group(1)), int(device.group(2))) == (1, 5)
        assert device_calls(run.stdout, "tracker, diff_method='device'") == [(5, 1)]
        # the default "best": a forward job of one circuit, then the derivative job
        best = run.line("tracker, diff_method='best' (the default):")
        assert pairs_total(best) == (2, 6) and best.endswith("same gradient: True")
        assert device_calls(run.stdout, "tracker, diff_method='best'") == [(1, 1), (5, 1)]
        # ... so a plain call costs one circuit with "best", the shifted ones too with "device"
        plain = dict(re.findall(r"a plain call, diff_method='(\w+)': (\d+) circuit\(s\) in 1 job",
                                run.stdout))
        assert plain == {"best": "1", "device": "5"}
        # PennyLane's transform: the forward pass, then the 4-circuit gradient batch, one job each
        ps = run.line("tracker, diff_method='parameter-shift':")
        assert ps.endswith("same gradient: True")
        assert device_calls(run.stdout, "tracker, diff_method='parameter-shift'") == [
            (1, 1), (4, 1)]

    def test_saves_the_bell_chart(self, tutorial):
        run = tutorial("01_quickstart.py")
        assert_png(run.figures / "01_bell_counts.png")

    def test_readme_shows_what_it_prints(self, tutorial):
        """The README's "what tutorial 01 prints" block is the run's output line for line
        (stdout, with the stderr warning after its first line), up to what varies: numbers,
        job ids and the folders of the script and its figures."""
        readme = (TUTORIALS.parent / "README.md").read_text()
        block = readme.split("What `python tutorials/01_quickstart.py` prints", 1)[1]
        block = block.split("```text\n", 1)[1].split("```", 1)[0]
        run = tutorial("01_quickstart.py")
        out = run.stdout.splitlines()
        printed = [out[0], *run.stderr.splitlines(), *out[1:]]
        assert [_shape(line) for line in block.splitlines()] == [_shape(line) for line in printed]


def _shape(line: str) -> str:
    """A printed line without what differs between runs and machines."""
    line = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", line)
    line = re.sub(r"\S*/(figures/|tutorials/)", r"<dir>/\1", line)
    return re.sub(r"\d+", "<n>", line)


def _tfim_ground_energy(n: int, j: float, h: float) -> float:
    """Exact ground energy of the open chain -J sum ZZ - h sum X, built with numpy kron."""
    z, x, eye = np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]]), np.eye(2)

    def site_op(ops: dict[int, np.ndarray]) -> np.ndarray:
        out = np.ones((1, 1))
        for k in range(n):
            out = np.kron(out, ops.get(k, eye))
        return out

    ham = -j * sum(site_op({k: z, k + 1: z}) for k in range(n - 1))
    ham = ham - h * sum(site_op({k: x}) for k in range(n))
    return float(np.linalg.eigvalsh(ham)[0])


class TestVQE:
    """02_vqe.py: transverse-field Ising chain."""

    def test_energy_is_variational_and_close_to_exact(self, tutorial):
        run = tutorial("02_vqe.py")
        m = run.match(r"transverse-field Ising chain: (\d+) qubits, (\d+) Pauli terms, "
                      r"J=(\S+), h=(\S+)$")
        n, n_terms = int(m.group(1)), int(m.group(2))
        assert n_terms == 2 * n - 1
        oracle = _tfim_ground_energy(n, float(m.group(3)), float(m.group(4)))
        printed_exact = float(run.line("exact ground-state energy").rsplit(":", 1)[1])
        assert printed_exact == pytest.approx(oracle, abs=1e-6)
        final = float(run.match(r"VQE energy: (\S+)").group(1))
        initial = float(run.line("initial energy:").split(":", 1)[1])
        assert final >= oracle - 1e-6  # the variational principle
        assert (final - oracle) / abs(oracle) < 0.01
        assert final < initial - 0.1

    def test_each_step_is_one_job(self, tutorial):
        run = tutorial("02_vqe.py")
        n_params = int(run.match(r"ansatz: (\d+) parameters").group(1))
        step = run.line("one optimisation step:")
        # the device's own parameter-shift ("best"): energy and all shifted circuits, one job
        assert pairs(step) == [(2 * n_params + 1, 1)]

    def test_saves_the_energy_plot(self, tutorial):
        assert_png(tutorial("02_vqe.py").figures / "02_vqe_energy.png")


class TestHybridTorch:
    """03_hybrid_torch.py: TorchLayer on two moons."""

    def test_training_loss_falls_and_the_model_learns(self, tutorial):
        run = tutorial("03_hybrid_torch.py")
        epochs = re.findall(r"epoch +(\d+)/(\d+): loss (\S+), train accuracy (\S+)%, "
                            r"test accuracy (\S+)%", run.stdout)
        assert len(epochs) == int(epochs[0][1]) >= 2
        losses = [float(e[2]) for e in epochs]
        assert losses[-1] < losses[0] - 0.05, losses
        # 40 test points; chance is 50 %
        assert float(epochs[-1][4]) >= 65.0

    def test_broadcast_expand_pattern_runs_one_job_per_batch(self, tutorial):
        run = tutorial("03_hybrid_torch.py")
        expanded = pairs(run.line("Linear in front, parameter-shift + broadcast_expand:"))
        # forward: one circuit per sample; then the gradient batch: shifted circuits per sample
        assert len(expanded) == 2 and all(jobs == 1 for _, jobs in expanded)
        assert expanded[0][0] == 8 and expanded[1][0] % 8 == 0
        device = pairs(run.line("Linear in front, diff_method='device':"))
        # the device's own parameter-shift: forward and shifted circuits together, one job
        assert device == [(expanded[0][0] + expanded[1][0], 1)]
        m = run.match(r"decision boundary: (\d+) grid points in (\d+) job\(s\)")
        assert int(m.group(2)) == 1

    def test_saves_curves_and_decision_boundary(self, tutorial):
        run = tutorial("03_hybrid_torch.py")
        assert_png(run.figures / "03_training_curves.png")
        assert_png(run.figures / "03_decision_boundary.png")


class TestQAOACharacterization:
    """04_qaoa_characterization.py: characterize, then QAOA."""

    def test_characterization_is_printed_and_agrees_with_brute_force(self, tutorial):
        run = tutorial("04_qaoa_characterization.py")
        assert run.match(r"Characterization \S+ \(COMPLETED, local\)")
        m = run.match(r"hardness: difficulty '(\w+)', index (\d+)/100")
        assert m.group(1) in ("easy", "moderate", "hard")
        assert 0 <= int(m.group(2)) <= 100
        brute = int(run.match(r"graph: .* maximum cut (\d+)").group(1))
        service = run.match(r"best energy known to the service: (\S+) \(maximum cut (\S+)\)")
        assert float(service.group(2)) == brute

    def test_device_agrees_with_the_characterization_angles(self, tutorial):
        run = tutorial("04_qaoa_characterization.py")
        m = run.match(r"<C> at the recommended angles: (\S+) \(the service reported (\S+)\)")
        assert float(m.group(1)) == pytest.approx(float(m.group(2)), abs=1e-4)
        landscape = run.match(r"p=1 landscape: (\d+) points in (\d+) job\(s\)")
        assert int(landscape.group(2)) == 1

    def test_qaoa_beats_random_guessing(self, tutorial):
        run = tutorial("04_qaoa_characterization.py")
        m = run.match(r"p=2: <C> (\S+) -> (\S+) after")
        assert float(m.group(2)) < float(m.group(1))
        probability = {
            name: float(p) for name, p in re.findall(
                r"^(random guess|QAOA p=1|QAOA p=2) *: P\(maximum cut \d+\) = (\S+),",
                run.stdout, flags=re.MULTILINE)
        }
        graph = run.match(r"graph: .* reached by (\d+) of (\d+) assignments")
        optimal_fraction = int(graph.group(1)) / int(graph.group(2))
        assert probability["random guess"] == pytest.approx(optimal_fraction, abs=1e-3)
        # 2000 shots: the standard error of each sampled probability is below 0.012
        assert probability["QAOA p=1"] > probability["random guess"] + 0.15
        assert probability["QAOA p=2"] > probability["QAOA p=1"] + 0.1

    def test_saves_landscape_and_cut_distribution(self, tutorial):
        run = tutorial("04_qaoa_characterization.py")
        assert_png(run.figures / "04_qaoa_landscape.png")
        assert_png(run.figures / "04_cut_distribution.png")


class TestNoise:
    """05_noise.py: noisy VQE on a density matrix, zero-noise extrapolation."""

    def test_device_agrees_with_default_mixed(self, tutorial):
        run = tutorial("05_noise.py")
        rows = re.findall(r"^scale factor (\d+): qoro.maestro (\S+), default.mixed \+ add_noise "
                          r"(\S+)$", run.stdout, flags=re.MULTILINE)
        assert [int(s) for s, _, _ in rows] == [1, 3, 5]
        for _, ours, theirs in rows:
            assert float(ours) == pytest.approx(float(theirs), abs=1e-6)
        assert float(run.line("largest difference from default.mixed:").split(":")[1]) < 1e-6
        # ... and at the trained parameters, also at the scale factors the fits do not use
        ours = _scaled(run.line("E(scale factor): "))
        theirs = _scaled(run.line("default.mixed: "))
        assert list(ours) == list(theirs) == [1, 3, 5, 7, 9]
        for scale in ours:
            assert ours[scale] == pytest.approx(theirs[scale], abs=1e-6)

    def test_exact_energy_and_noise_that_matters(self, tutorial):
        run = tutorial("05_noise.py")
        m = run.match(r"transverse-field Ising chain: (\d+) qubits, \d+ Pauli terms, "
                      r"J=(\S+), h=(\S+)$")
        oracle = _tfim_ground_energy(int(m.group(1)), float(m.group(2)), float(m.group(3)))
        printed = float(run.line("exact ground-state energy").rsplit(":", 1)[1])
        assert printed == pytest.approx(oracle, abs=1e-6)
        noisy, _, ideal, exact = _trained(run)
        assert exact == pytest.approx(oracle, abs=1e-6)
        # the optimiser found good parameters: their noiseless energy is near the ground state
        assert oracle - 1e-6 <= ideal < oracle + 0.01 * abs(oracle)
        # depolarizing noise pulls the energy towards 0 (the mixed state's), by a lot
        assert noisy > ideal + 0.1

    def test_mitigation_recovers_the_noiseless_value(self, tutorial):
        run = tutorial("05_noise.py")
        noisy, mitigated, ideal, _ = _trained(run)
        assert abs(mitigated - ideal) < abs(noisy - ideal) / 5
        steps = re.findall(r"^step +\d+: noisy (\S+), mitigated (\S+), noiseless (\S+)$",
                           run.stdout, flags=re.MULTILINE)
        assert steps
        for noisy_s, mitigated_s, ideal_s in steps:
            gap_noisy = abs(float(noisy_s) - float(ideal_s))
            assert abs(float(mitigated_s) - float(ideal_s)) < gap_noisy / 5

    def test_extrapolation_is_the_fit_of_the_printed_points(self, tutorial):
        """Recompute the three fits with numpy from the printed E(scale factor) values."""
        run = tutorial("05_noise.py")
        energies = _scaled(run.line("E(scale factor): "))
        values = list(energies.values())
        # folding amplifies the noise: the energy rises steadily towards 0
        assert all(a < b for a, b in itertools.pairwise(values)) and values[-1] < 0
        x = np.array([1.0, 3.0, 5.0])
        y = np.array([energies[1], energies[3], energies[5]])
        expected = {
            "Richardson (degree 2)": np.polyval(np.polyfit(x, y, 2), 0.0),
            "linear": np.polyval(np.polyfit(x, y, 1), 0.0),
            "exponential": -np.exp(np.polyval(np.polyfit(x, np.log(-y), 1), 0.0)),
        }
        line = run.line("extrapolated to zero noise: ")
        printed = dict(re.findall(r"(Richardson \(degree 2\)|linear|exponential) (\S+?)[,;]",
                                  line))
        assert set(printed) == set(expected)
        for name, value in expected.items():
            assert float(printed[name]) == pytest.approx(value, abs=1e-5), name
        noisy, mitigated, ideal, _ = _trained(run)
        # mitigate_with_zne returned exactly the Richardson value of these points
        assert mitigated == pytest.approx(expected["Richardson (degree 2)"], abs=1e-5)
        assert energies[1] == pytest.approx(noisy, abs=1e-6)
        assert float(line.rsplit("noiseless ", 1)[1]) == pytest.approx(ideal, abs=1e-6)

    def test_one_mitigated_evaluation_is_one_job(self, tutorial):
        run = tutorial("05_noise.py")
        # three folded circuits (scale factors 1, 3, 5), one job
        assert pairs(run.line("one mitigated evaluation:")) == [(3, 1)]

    def test_saves_the_vqe_and_extrapolation_plots(self, tutorial):
        run = tutorial("05_noise.py")
        assert_png(run.figures / "05_noisy_vqe.png")
        assert_png(run.figures / "05_zne_extrapolation.png")


def _scaled(line: str) -> dict[int, float]:
    """``"...: 1: -3.07, 3: -2.38"`` -> {1: -3.07, 3: -2.38}."""
    return {int(s): float(v) for s, v in re.findall(r"(\d+): (-?[\d.]+)", line.split(":", 1)[1])}


def _trained(run: Run) -> tuple[float, float, float, float]:
    """(noisy, mitigated, noiseless, exact) energies at the trained parameters."""
    m = run.match(r"trained parameters: noisy energy (\S+), mitigated (\S+), noiseless (\S+), "
                  r"exact ground state (\S+)$")
    return tuple(float(g) for g in m.groups())  # type: ignore[return-value]
