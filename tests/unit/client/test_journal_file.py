"""Tests for the job journal's file and rows (``client/journal.py``, ``journal_store.py``):
where it lives, the content key, who may reattach to a row, two processes on one file, and a
journal that cannot be written."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from pennylane_qoro.client.journal import Journal, job_key, open_journal
from pennylane_qoro.client.journal_store import default_journal_path
from pennylane_qoro.client.spec import JobSpec, plan_job

QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\nmeasure q -> c;\n'
SPEC = JobSpec(circuits=(("a", QASM),), shots=10, maestro_config={"seed": 3})
URL = "http://127.0.0.1:1/api"


class TestWhereItLives:
    @pytest.mark.parametrize("platform, environ, expected", [
        ("linux", {"XDG_CACHE_HOME": "/x/cache"}, "/x/cache/pennylane-qoro/journal.sqlite"),
        ("linux", {}, "~/.cache/pennylane-qoro/journal.sqlite"),
        ("darwin", {}, "~/Library/Caches/pennylane-qoro/journal.sqlite"),
        ("win32", {"LOCALAPPDATA": "/w/Local"}, "/w/Local/pennylane-qoro/journal.sqlite"),
        ("darwin", {"PENNYLANE_QORO_JOURNAL": "/j/file.sqlite"}, "/j/file.sqlite"),
    ])
    def test_the_default_path(self, platform, environ, expected) -> None:
        """Test PENNYLANE_QORO_JOURNAL, then XDG_CACHE_HOME, then the platform's cache folder."""
        path = default_journal_path(environ, platform)
        assert path == Path(expected).expanduser()

    def test_the_suite_never_writes_the_home_cache(self, journal_path: Path) -> None:
        """Test the suite's fixture points the default at a per-test file."""
        assert default_journal_path() == journal_path
        assert Path.home() not in journal_path.parents

    def test_nothing_touches_the_disk_before_a_job(self, tmp_path: Path) -> None:
        """Test opening a journal creates no file until it is used."""
        open_journal(tmp_path / "lazy.sqlite")
        assert list(tmp_path.iterdir()) == []


class TestKey:
    def test_the_key_follows_the_request(self) -> None:
        """Test URL, shots, seed, target and circuits change the key; the API key is no input."""
        base = job_key(URL, plan_job(SPEC))
        assert base == job_key(URL + "/", plan_job(SPEC))
        changed = [
            job_key("http://127.0.0.1:2/api", plan_job(SPEC)),
            job_key(URL, plan_job(JobSpec(circuits=SPEC.circuits, shots=11,
                                          maestro_config={"seed": 3}))),
            job_key(URL, plan_job(JobSpec(circuits=SPEC.circuits, shots=10,
                                          maestro_config={"seed": 4}))),
            job_key(URL, plan_job(JobSpec(circuits=SPEC.circuits, shots=10,
                                          maestro_config={"seed": 3}, simulator_cluster="b"))),
            job_key(URL, plan_job(JobSpec(circuits=(("a", QASM.replace("x", "h")),), shots=10,
                                          maestro_config={"seed": 3}))),
        ]
        assert base not in changed and len(set(changed)) == len(changed)

    def test_a_seed_left_out_matches_no_config(self) -> None:
        """Test seed_in_key=False: {'seed': s} and no maestro_config give one key."""
        bare = JobSpec(circuits=SPEC.circuits, shots=10)
        assert job_key(URL, plan_job(SPEC), seed_in_key=False) == job_key(URL, plan_job(bare))


def _record(journal: Journal, state: str = "submitted", **fields) -> int:  # type: ignore[no-untyped-def]
    plan = plan_job(SPEC)
    row = journal.record(job_key(URL, plan), URL, SPEC, plan)
    journal.update(row, job_id=f"job-{row}", state=state, **fields)
    return row


class TestWhoMayReattach:
    def test_rows_this_process_waits_on_are_skipped(self, tmp_path: Path) -> None:
        """Test a row in flight in this process is never reattached by another thread."""
        journal = Journal(tmp_path / "j.sqlite")
        row = _record(journal)
        key = journal.entries()[0].key
        with journal.waiting(row):
            assert journal.reattachable(key, deterministic=True) == []
        assert [e.row for e in journal.reattachable(key, deterministic=True)] == [row]

    def test_fetched_failed_and_cancelled_rows_are_not_candidates(self, tmp_path: Path) -> None:
        """Test only uploading/submitted rows with a job id qualify."""
        journal = Journal(tmp_path / "j.sqlite")
        for state in ("fetched", "failed", "cancelled", "submitting"):
            _record(journal, state=state)
        assert journal.reattachable(journal.entries()[0].key, deterministic=True) == []

    def test_unseeded_sampling_waits_for_its_writer_to_be_gone(self, tmp_path: Path) -> None:
        """Test a live writer's row is shared only for deterministic jobs; a dead writer's
        row is reattached either way (nobody else will consume its sample)."""
        journal = Journal(tmp_path / "j.sqlite")
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            live = _record(journal, process="other", pid=sleeper.pid)
            key = journal.entries()[0].key
            assert journal.reattachable(key, deterministic=False) == []
            assert [e.row for e in journal.reattachable(key, deterministic=True)] == [live]
        finally:
            sleeper.kill()
            sleeper.wait()
        assert [e.row for e in journal.reattachable(key, deterministic=False)] == [live]

    def test_a_cached_row_answers_with_its_results(self, tmp_path: Path) -> None:
        """Test the newest fetched row with results is the cache hit."""
        journal = Journal(tmp_path / "j.sqlite")
        _record(journal, state="fetched", results={"a": {"1": 10}}, run_time=0.5)
        entry, results = journal.cached(journal.entries()[0].key)
        assert results == {"a": {"1": 10}} and entry.cached and entry.run_time == 0.5


WRITER = """
import sys
from pennylane_qoro.client.journal import Journal, job_key
from pennylane_qoro.client.spec import JobSpec, plan_job
spec = JobSpec(circuits=(("a", "qreg q[1];"),), shots=1)
plan = plan_job(spec)
journal = Journal(sys.argv[1])
for i in range(100):
    row = journal.record(job_key("u", plan), "u", spec, plan)
    journal.update(row, job_id=f"{sys.argv[2]}-{i}", state="fetched", results={"a": {"0": i}})
assert not journal.disabled
"""


def test_two_processes_share_one_journal(tmp_path: Path) -> None:
    """Test two writers at once lose no row and corrupt nothing (WAL, busy timeout)."""
    path = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name])
             for name in ("p", "q")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    entries = Journal(path).entries(limit=1000)
    assert len(entries) == 200 and {e.state for e in entries} == {"fetched"}
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_unusable_journal_warns_once_and_steps_aside(tmp_path: Path) -> None:
    """Test a journal that cannot be opened never stops a run: one warning, then off."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    journal = Journal(blocker / "journal.sqlite")  # a folder that is a file
    plan = plan_job(SPEC)
    with pytest.warns(RuntimeWarning, match="journal=False"):
        assert journal.record(job_key(URL, plan), URL, SPEC, plan) == -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert journal.entries() == [] and journal.disabled
