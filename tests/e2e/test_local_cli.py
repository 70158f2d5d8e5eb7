"""``qoro-local`` as a user runs it (subprocess): exit codes, one-line errors, no tracebacks.

A busy port, an unusable ``--db`` path and a file that is not a database each end with exit
code 1 and one stderr line naming the port or path; bare ``qoro-local`` prints the help and
creates nothing; ``--version``; Ctrl+C stops ``serve`` with exit code 0, one line, and the
database closed (SQLite removes the WAL file when the last connection closes cleanly);
``token list`` / ``token revoke`` (a running service refuses a revoked token at once).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from pennylane_qoro import __version__

CLI = [sys.executable, "-m", "pennylane_qoro.local"]


def qoro_local(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env)


def one_line_error(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("qoro-local: error: ")
    return lines[0]


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen, str]]:
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("serving http://"), proc.stderr.read()
        yield proc, line.removeprefix("serving ")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


class TestErrors:
    def test_a_busy_port(self, tmp_path: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            line = one_line_error(qoro_local("serve", "--port", str(port),
                                             "--db", str(tmp_path / "j.sqlite")))
        assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line

    def test_an_unusable_db_path(self, tmp_path: Path) -> None:
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        path = blocker / "jobs.sqlite"  # a folder that is a file
        line = one_line_error(qoro_local("serve", "--port", "0", "--db", str(path)))
        assert str(path) in line and "--db" in line

    def test_a_folder_as_db(self, tmp_path: Path) -> None:
        line = one_line_error(qoro_local("serve", "--port", "0", "--db", str(tmp_path)))
        assert f"cannot open the database {tmp_path}" in line

    def test_a_file_that_is_not_a_database(self, tmp_path: Path) -> None:
        notes = tmp_path / "notes.txt"
        notes.write_text("not a database, just some text that is long enough to matter\n" * 20)
        line = one_line_error(qoro_local("serve", "--port", "0", "--db", str(notes)))
        assert f"{notes} is not a qoro-local database" in line
        line = one_line_error(qoro_local("token", "list", "--db", str(notes)))
        assert str(notes) in line


class TestCommands:
    def test_bare_qoro_local_prints_help_and_creates_nothing(self, tmp_path: Path) -> None:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
        out = qoro_local(env=env)
        assert out.returncode == 0 and out.stdout.startswith("usage: qoro-local")
        assert "serve" in out.stdout and "token" in out.stdout
        assert list(tmp_path.iterdir()) == []

    def test_version(self) -> None:
        out = qoro_local("--version")
        assert out.returncode == 0 and out.stdout.strip() == f"qoro-local {__version__}"

    @pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
    def test_ctrl_c_exits_0_with_one_line_and_the_database_closed(self, tmp_path: Path) -> None:
        db = tmp_path / "jobs.sqlite"
        with serving("--db", str(db)) as (proc, url):
            assert requests.get(f"{url}/", timeout=10).status_code == 401  # it answers
            assert Path(f"{db}-wal").exists()  # open: the WAL is there
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert err.strip() == "qoro-local: stopped" and out == ""
        assert not Path(f"{db}-wal").exists()  # the last connection closed cleanly

    def test_token_list_and_revoke(self, tmp_path: Path) -> None:
        db = str(tmp_path / "jobs.sqlite")
        first = qoro_local("token", "create", "--db", db).stdout.strip()
        second = qoro_local("token", "create", "--db", db, "--credits", "5").stdout.strip()
        out = qoro_local("token", "list", "--db", db)
        assert out.returncode == 0
        lines = out.stdout.strip().splitlines()
        assert len(lines) == 2 and "balance 1000.00" in lines[0] and "balance 5.00" in lines[1]
        assert first not in out.stdout and second not in out.stdout  # ids, never tokens
        second_id = lines[1].split()[0]
        with serving("--db", db) as (_proc, url):
            def credits(token: str) -> int:
                return requests.get(f"{url}/credits/", timeout=10,
                                    headers={"Authorization": f"Bearer {token}"}).status_code

            assert credits(second) == 200
            revoked = qoro_local("token", "revoke", second_id[:8], "--db", db)
            assert revoked.returncode == 0 and revoked.stdout.strip() == f"revoked {second_id}"
            assert credits(second) == 401  # the running service refuses it at once
            assert credits(first) == 200
        assert lines[1] + "  REVOKED" in qoro_local("token", "list", "--db", db).stdout
        assert "REVOKED" not in qoro_local("token", "list", "--db", db).stdout.splitlines()[0]
        revoke_first = qoro_local("token", "revoke", first, "--db", db)  # by the token itself
        assert revoke_first.returncode == 0
        line = one_line_error(qoro_local("token", "revoke", "abc", "--db", db))
        assert "at least 8 characters" in line
        line = one_line_error(qoro_local("token", "revoke", "0" * 12, "--db", db))
        assert "no token" in line or second_id.startswith("0" * 12)
