"""Tests for pennylane_qoro.client.config: URL rules and API key precedence (§1.1, §1.2).

The conftest's autouse fixture clears QORO_* variables and runs each test in its own tmp_path.
"""

from __future__ import annotations

import pytest

from pennylane_qoro.client import QoroClient
from pennylane_qoro.client.config import (
    DEFAULT_URL,
    ApiKey,
    find_api_key,
    find_api_url,
    is_loopback,
    resolve_api_key,
    resolve_url,
)
from pennylane_qoro.client.errors import ConfigurationError

KEY = "qk_cfg_S3CRET_value_123"


class TestUrl:
    def test_default(self):
        assert resolve_url() == DEFAULT_URL == "https://app.qoroquantum.net/api"

    def test_environment_then_argument(self, monkeypatch):
        monkeypatch.setenv("QORO_API_URL", "https://qoro.example.org/api/")
        assert resolve_url() == "https://qoro.example.org/api"
        assert resolve_url("https://other.example.org/api") == "https://other.example.org/api"

    def test_empty_environment_falls_back_to_default(self, monkeypatch):
        monkeypatch.setenv("QORO_API_URL", "")
        assert resolve_url() == DEFAULT_URL

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8000/api",
            "http://127.9.8.7/api/",
            "http://localhost:1/api",
            "http://LOCALHOST/api",
            "http://[::1]:8080/api",
        ],
    )
    def test_plain_http_allowed_on_loopback(self, url):
        assert resolve_url(url) == url.rstrip("/")

    @pytest.mark.parametrize(
        "url",
        [
            "http://app.qoroquantum.net/api",
            "http://10.0.0.5:8000/api",
            "http://128.0.0.1/api",
            "http://localhost.evil.example/api",
            "http://[::2]/api",
        ],
    )
    def test_plain_http_refused_elsewhere(self, url):
        with pytest.raises(ConfigurationError, match="refusing plain http"):
            resolve_url(url)

    @pytest.mark.parametrize(
        "url, match",
        [
            ("ftp://host/api", "must be http"),
            ("https:///api", "must be http"),
            ("app.qoroquantum.net/api", "must be http"),
            ("http://127.0.0.1:notaport/api", "malformed"),
        ],
    )
    def test_malformed(self, url, match):
        with pytest.raises(ConfigurationError, match=match):
            resolve_url(url)

    def test_credentials_in_url_refused_without_echo(self):
        with pytest.raises(ConfigurationError, match="must not embed credentials") as info:
            resolve_url(f"https://user:{KEY}@app.qoroquantum.net/api")
        assert KEY not in str(info.value)

    def test_dotenv_url_is_used_like_the_dotenv_key(self, tmp_path, monkeypatch):
        # A local service's URL and token written together in .env go together: the URL is
        # read from .env (before the environment), as the key is.
        (tmp_path / ".env").write_text(
            "QORO_API_URL=http://127.0.0.1:8080/api/\nQORO_API_KEY=local-token\n"
        )
        monkeypatch.setenv("QORO_API_URL", "https://qoro.example.org/api")
        assert find_api_url() == "http://127.0.0.1:8080/api/"
        assert resolve_url() == "http://127.0.0.1:8080/api"
        client = QoroClient()
        assert client.url == "http://127.0.0.1:8080/api"
        assert client._http._key.reveal() == "local-token"
        client.close()

    def test_dotenv_url_found_in_a_parent_and_argument_wins(self, tmp_path, monkeypatch):
        (tmp_path / ".env").write_text("QORO_API_URL=https://dotenv.example.org/api\n")
        deeper = tmp_path / "a"
        deeper.mkdir()
        monkeypatch.chdir(deeper)
        assert resolve_url() == "https://dotenv.example.org/api"
        assert resolve_url("https://arg.example.org/api") == "https://arg.example.org/api"

    def test_dotenv_without_the_url_falls_back_to_environment(self, tmp_path, monkeypatch):
        (tmp_path / ".env").write_text("QORO_API_KEY=k\n")
        monkeypatch.setenv("QORO_API_URL", "https://env.example.org/api")
        assert find_api_url() == "https://env.example.org/api"
        assert resolve_url() == "https://env.example.org/api"

    @pytest.mark.parametrize("line", ["QORO_API_URL\n", "QORO_API_URL=\n"])
    def test_dotenv_url_without_value_is_an_error(self, tmp_path, monkeypatch, line):
        (tmp_path / ".env").write_text(line)
        monkeypatch.setenv("QORO_API_URL", "https://env.example.org/api")
        with pytest.raises(ConfigurationError, match=r"QORO_API_URL in .* has no value"):
            resolve_url()

    def test_bad_dotenv_url_names_its_source(self, tmp_path):
        (tmp_path / ".env").write_text("QORO_API_URL=http://10.0.0.5/api\n")
        with pytest.raises(ConfigurationError, match=r"from QORO_API_URL in \.env file"):
            resolve_url()

    def test_no_url_anywhere(self):
        assert find_api_url() is None

    def test_is_loopback(self):
        assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost.")
        assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


class TestApiKey:
    def test_argument_wins(self, tmp_path, monkeypatch):
        (tmp_path / ".env").write_text("QORO_API_KEY=from-dotenv\n")
        monkeypatch.setenv("QORO_API_KEY", "from-env")
        key = resolve_api_key("from-arg")
        assert key.reveal() == "from-arg" and key.source == "argument"

    def test_dotenv_beats_environment(self, tmp_path, monkeypatch):
        (tmp_path / ".env").write_text("OTHER=1\nQORO_API_KEY=from-dotenv\n")
        monkeypatch.setenv("QORO_API_KEY", "from-env")
        key = resolve_api_key()
        assert key.reveal() == "from-dotenv"
        assert key.source == f".env file {tmp_path / '.env'}"

    def test_dotenv_found_in_a_parent(self, tmp_path, monkeypatch):
        (tmp_path / ".env").write_text('QORO_API_KEY="quoted-key"\n')
        deeper = tmp_path / "a" / "b"
        deeper.mkdir(parents=True)
        monkeypatch.chdir(deeper)
        assert resolve_api_key().reveal() == "quoted-key"

    def test_dotenv_without_the_key_falls_back_to_environment(self, tmp_path, monkeypatch):
        (tmp_path / ".env").write_text("SOMETHING_ELSE=1\n")
        monkeypatch.setenv("QORO_API_KEY", "from-env")
        key = resolve_api_key()
        assert key.reveal() == "from-env" and key.source == "environment"

    def test_environment_alone(self, monkeypatch):
        monkeypatch.setenv("QORO_API_KEY", "  from-env  ")
        assert resolve_api_key().reveal() == "from-env"

    @pytest.mark.parametrize("line", ["QORO_API_KEY\n", "QORO_API_KEY=\n"])
    def test_dotenv_entry_without_value_is_an_error_even_with_environment(
        self, tmp_path, monkeypatch, line
    ):
        # §1.2 edge cases: the .env entry shadows the environment variable.
        (tmp_path / ".env").write_text(line)
        monkeypatch.setenv("QORO_API_KEY", "from-env")
        with pytest.raises(ConfigurationError, match="has no value") as info:
            resolve_api_key()
        assert "from-env" not in str(info.value)
        assert str(tmp_path / ".env") in str(info.value)

    def test_missing_everywhere_names_all_three_ways(self):
        assert find_api_key() is None
        with pytest.raises(ConfigurationError) as info:
            resolve_api_key()
        text = str(info.value)
        assert "api_key=" in text and ".env" in text and "QORO_API_KEY environment" in text
        with pytest.raises(ConfigurationError):
            QoroClient("http://127.0.0.1:9/api")

    def test_empty_environment_counts_as_missing(self, monkeypatch):
        monkeypatch.setenv("QORO_API_KEY", "")
        with pytest.raises(ConfigurationError, match="no Qoro API key"):
            resolve_api_key()

    @pytest.mark.parametrize("bad", ["", "   "])
    def test_empty_argument(self, bad):
        with pytest.raises(ConfigurationError, match="non-empty"):
            resolve_api_key(bad)

    def test_key_never_printed(self, tmp_path):
        key = ApiKey(KEY, source="argument")
        assert KEY not in repr(key) and KEY not in str(key) and KEY not in f"{key}"
        assert resolve_api_key(key) is key
        assert ApiKey(KEY) == key and hash(ApiKey(KEY)) == hash(key)
        client = QoroClient("http://127.0.0.1:9/api", api_key=KEY)
        assert KEY not in repr(client)
        assert KEY not in repr(vars(client))
        assert KEY not in repr(client._http) and KEY not in repr(client._http._idempotent.auth)
        assert KEY not in repr(client._http._idempotent.headers)
        client.close()

    def test_client_reads_dotenv(self, tmp_path):
        (tmp_path / ".env").write_text(f"QORO_API_KEY={KEY}\n")
        client = QoroClient("http://127.0.0.1:9/api/")
        assert client.url == "http://127.0.0.1:9/api"
        assert client._http._key.reveal() == KEY
        client.close()
