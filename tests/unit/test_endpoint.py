"""Tests for pennylane_qoro.endpoint: url/key -> endpoint, the embedded fallback, one warning."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import pennylane_qoro.endpoint as endpoint_module
from pennylane_qoro.client.config import DEFAULT_URL
from pennylane_qoro.client.errors import ConfigurationError
from pennylane_qoro.endpoint import (
    Endpoint,
    LocalServiceUnavailable,
    resolve_endpoint,
    warn_at_user_frame,
)

EMBEDDED = Endpoint("http://127.0.0.1:9/api", "tok-local", local=True)


def _fake_local() -> Endpoint:
    """Stands in for starting the embedded service (tested end to end in tests/e2e/)."""
    return EMBEDDED


@pytest.fixture(autouse=True)
def isolated(isolated_env, monkeypatch):
    """No key or URL anywhere (tests/conftest.py's ``isolated_env``), no warning given yet."""
    monkeypatch.setattr(endpoint_module, "_WARNED", set())
    return isolated_env


def _resolve(url=None, api_key=None):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        endpoint = resolve_endpoint(url, api_key, start_local=_fake_local)
    return endpoint, [w for w in record if "embedded local" in str(w.message)]


class TestExplicitAndLookedUp:
    """Endpoints that are not the fallback."""

    def test_explicit_url_and_key(self):
        """Test an argument URL is validated and normalised; the key passes through."""
        endpoint, warned = _resolve("https://qoro.example.org/api/", "secret")
        assert endpoint == Endpoint("https://qoro.example.org/api", "secret")
        assert warned == [] and not endpoint.local

    def test_key_without_url_is_the_cloud(self, monkeypatch):
        """Test a key in the environment and no URL: the Qoro cloud, no warning."""
        monkeypatch.setenv("QORO_API_KEY", "k")
        endpoint, warned = _resolve()
        assert endpoint == Endpoint(DEFAULT_URL, None) and warned == []

    def test_argument_key_without_url_is_the_cloud(self):
        """Test an api_key argument alone means the cloud."""
        endpoint, warned = _resolve(api_key="k")
        assert endpoint.url == DEFAULT_URL and warned == []

    def test_environment_url_is_used_and_named_in_errors(self, monkeypatch):
        """Test QORO_API_URL is looked up; a bad one is named by its source."""
        monkeypatch.setenv("QORO_API_URL", "http://127.0.0.1:5000/api")
        endpoint, _ = _resolve()
        assert endpoint.url == "http://127.0.0.1:5000/api"
        monkeypatch.setenv("QORO_API_URL", "http://far.example.org/api")
        with pytest.raises(ConfigurationError, match=r"\$QORO_API_URL"):
            _resolve()

    def test_dotenv_url_and_key_go_together(self, isolated):
        """Test a .env URL and token are used together, no warning."""
        (isolated / ".env").write_text("QORO_API_URL=http://localhost:1/api\nQORO_API_KEY=t\n")
        endpoint, warned = _resolve()
        assert endpoint.url == "http://localhost:1/api" and warned == []

    def test_plain_http_to_a_remote_host_is_refused(self):
        """Test the client's plain-http rule applies at resolution time."""
        with pytest.raises(ConfigurationError, match="refusing plain http"):
            _resolve("http://far.example.org/api", "k")

    def test_repr_never_shows_the_key(self):
        """Test the endpoint's repr."""
        assert "secret" not in repr(Endpoint("https://x.example.org", "secret"))


class TestEmbeddedFallback:
    """No URL and no key: the embedded service, with one warning per process."""

    def test_no_url_no_key_warns_once_and_goes_local(self):
        """Test the fallback and its single warning."""
        endpoint, warned = _resolve()
        assert endpoint is EMBEDDED
        assert len(warned) == 1 and "QORO_API_KEY" in str(warned[0].message)
        again, warned_again = _resolve()
        assert again is EMBEDDED and warned_again == []

    def test_the_warning_points_at_the_callers_line(self):
        """Test the warning is attributed to this file, not to endpoint.py."""
        _, [warning] = _resolve()
        assert warning.filename == __file__

    def test_the_warning_is_one_text_that_names_both_ways_out(self):
        """Test the shared text: the cloud (key) and url='local' (silent), for device and
        characterize alike (both call resolve_endpoint; tests/e2e check each caller)."""
        _, [warning] = _resolve()
        text = str(warning.message)
        assert text == endpoint_module.FALLBACK_WARNING
        assert "QORO_API_KEY" in text and "api_key=" in text
        assert "url='local'" in text and "qoro.maestro" not in text

    @pytest.mark.parametrize("where", ["argument", "dotenv"])
    def test_url_local_is_silent(self, where, isolated):
        """Test url='local' (argument or QORO_API_URL in .env) selects it without warning."""
        url = "local" if where == "argument" else None
        if where == "dotenv":
            (isolated / ".env").write_text("QORO_API_URL=local\n")
        endpoint, warned = _resolve(url)
        assert endpoint is EMBEDDED and warned == []

    def test_missing_extra_is_a_clear_import_error(self, monkeypatch):
        """Test the [local] extra missing: LocalServiceUnavailable (an ImportError)."""
        monkeypatch.setitem(sys.modules, "pennylane_qoro.local", None)
        expected = r"the \[local\] extra: pip install '\.\[local\]'"
        with pytest.raises(LocalServiceUnavailable, match=expected):
            resolve_endpoint("local", None)
        assert issubclass(LocalServiceUnavailable, ImportError)


class TestWarnAtUserFrame:
    """warn_at_user_frame, the stack-walking fallback (Python < 3.12) and the 3.12 path."""

    @pytest.mark.parametrize(
        "skip_file_prefixes",
        [
            pytest.param(
                True,
                marks=pytest.mark.skipif(
                    sys.version_info < (3, 12), reason="skip_file_prefixes needs Python >= 3.12"
                ),
            ),
            False,
        ],
    )
    def test_attributed_to_the_first_outside_frame(self, skip_file_prefixes, monkeypatch):
        """Test a warning raised from inside the package points at this file."""
        monkeypatch.setattr(endpoint_module, "_SKIP_FILE_PREFIXES", skip_file_prefixes)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            warn_at_user_frame("hello", UserWarning)
        [warning] = record
        assert warning.filename == __file__ and str(warning.message) == "hello"


def test_endpoint_imports_no_pennylane():
    """Test characterize's path stays free of PennyLane: endpoint.py does not load it."""
    code = (
        "import sys, pennylane_qoro.endpoint\n"
        "assert 'pennylane' not in sys.modules, 'pennylane'\n"
        "assert 'requests' not in sys.modules, 'requests'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
