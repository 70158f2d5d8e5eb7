"""The command line (``local/__main__.py``): arguments only, settings read when parsing."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pennylane_qoro.local.__main__ import _credits, _parser, default_db, main
from pennylane_qoro.local.store import Store, hash_token


class TestArguments:
    def test_the_default_database_follows_xdg_data_home(self, tmp_path: Path) -> None:
        assert default_db({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "qoro-local/jobs.sqlite"
        assert default_db({}) == Path.home() / ".local/share/qoro-local/jobs.sqlite"

    def test_the_environment_is_read_when_parsing_not_at_import(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
        args = _parser().parse_args(["serve"])
        assert args.db == tmp_path / "qoro-local" / "jobs.sqlite"

    @pytest.mark.parametrize("text, hundredths", [("0", 0), ("12.34", 1234), ("1000", 100_000)])
    def test_credits_are_decimal_amounts(self, text: str, hundredths: int) -> None:
        assert _credits(text) == hundredths

    @pytest.mark.parametrize("text", ["-1", "0.001", "lots"])
    def test_bad_credits_are_refused(self, text: str) -> None:
        with pytest.raises(argparse.ArgumentTypeError):
            _credits(text)


class TestTokenCreate:
    def test_prints_only_the_token_with_its_grant(self, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
        db = tmp_path / "sub" / "jobs.sqlite"
        assert main(["token", "create", "--db", str(db), "--credits", "12.34"]) == 0
        token = capsys.readouterr().out.strip()
        store = Store(db)
        try:
            assert store.owner_of(token) == hash_token(token)
            assert store.credits(hash_token(token))["balance"] == "12.34"
        finally:
            store.close()
