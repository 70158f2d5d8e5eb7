"""Runs finalized jobs on Maestro in a pool of worker threads.

Owns job execution: claiming a job (PENDING -> RUNNING), fanning its circuits out over the
workers (Maestro releases the GIL, so threads use every core), turning Maestro's output into the
cloud's result rows, storing results in batches, and ending the job COMPLETED or FAILED.

Result rows (qoro-api.md §4):
  * EXECUTE: a QH1/QH2 envelope from ``protocol.histogram.encode_histogram``. Maestro's keys put
    ``c[0]`` FIRST; the cloud's keys are Qiskit order (``c[0]`` rightmost, index = Σ c[k]·2^k,
    §4.5), so the key is reversed before it is read as a binary number. The width is the whole
    classical register (all ``creg`` sizes), unmeasured bits read 0.
  * EXPECTATION: ``{dense term: value}`` from ``maestro.simple_estimate`` with the ``measure``
    statements stripped (§4.6); Pauli character i is qubit i, as Maestro reads it.

Cancellation and deletion are seen at the next circuit boundary: a circuit already inside Maestro
finishes, its result is dropped. Jobs whose work reaches ``process_threshold`` run instead in a
child worker process that cancel kills at once (``process_lane.py``). Jobs start FIFO per
owner, owners round robin (``pool.py``); ``timing`` holds them PENDING/RUNNING (``timing.py``).
With a ``seed`` option circuit ``i`` of the job runs with seed ``seed + i``, so results do not
depend on which worker ran what. A job starts only when its estimated simulator memory fits
the budget beside the jobs running (``memory.py``); until then it stays PENDING, and it runs
on at most as many workers as its reservation covers. Template jobs may run on persistent
simulators (``batched.py``, ``walker.py``).

The workers are daemon threads: a process may exit while a long circuit runs, and the job is
then resumed (or failed after repeated interruptions) by :meth:`Store.recover` at the next start.

Imports Maestro, numpy, the standard library, ``protocol`` and ``local`` modules only (never
the client, device, compile or results packages).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import maestro
import numpy as np

from ..protocol.histogram import encode_histogram
from ..protocol.vocabulary import LOCAL_ACTIVE_STATUSES
from .batched import batched_tasks
from .memory import MemoryGate, default_budget, too_large
from .noise import NoisyRun
from .pool import Pool
from .process_lane import ProcessLane
from .qasm import Placeholders, QasmError, parse, strip_measurements
from .simulator_options import simulator_config
from .store import Job, Store, Work
from .submission import terms_for
from .template_program import Program
from .timing import Timing
from .walker import Part, Reader, run_rows, run_whole

log = logging.getLogger(__name__)

# Results are written in batches: at most this many circuits or this many seconds apart, so a
# restart loses little work and a 250-circuit job costs a handful of commits.
FLUSH_EVERY = 64
FLUSH_SECONDS = 1.0
#: Default work above which a job runs in the killable worker process (``process_lane.py``):
#: the sum over its circuits of 2**n_qubits, e.g. one 22-qubit circuit or 256 14-qubit ones.
PROCESS_THRESHOLD = 1 << 22
_SEED_MODULUS = 1 << 64


def histogram(counts: dict[str, int], n_clbits: int) -> dict[str, Any]:
    """Maestro counts (``c[0]`` first) -> the cloud's QH envelope (``c[0]`` rightmost).

    Args:
        counts (dict[str, int]): ``simple_execute``'s ``counts``.
        n_clbits (int): the declared classical width; keys are padded to it.

    Returns:
        dict: ``{"encoding", "n_bits", "payload"}``.

    Raises:
        RuntimeError: Maestro reported a set bit beyond the declared classical register.

    >>> from pennylane_qoro.protocol.histogram import decode_histogram
    >>> decode_histogram(histogram({"10": 7}, 2))  # c[0] = 1 -> Qiskit key "01"
    {'01': 7}
    """
    indices = [int(key[::-1], 2) if key else 0 for key in counts]
    if indices and max(indices) >> n_clbits:
        raise RuntimeError(
            f"Maestro returned an outcome wider than the {n_clbits}-bit classical register"
        )
    return encode_histogram(indices, list(counts.values()), n_clbits)


class _Run:
    """One job being executed: its circuits, buffered results and stop flag."""

    def __init__(self, work: Work, store: Store, on_end: Callable[[str], None], *,
                 flush_every: int, flush_seconds: float, timing: Timing = Timing()):
        self.started = time.monotonic()
        self.timing = timing
        self.job_id = work.job.id
        self.job = work.job
        self.store = store
        self.on_end = on_end
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.options = work.job.options
        self.seed = self.options.get("seed")
        self.shared_config = simulator_config(self.options)
        self.noise = NoisyRun(self.options) if self.options.get("noise_model") else None
        self.templates = {
            idx: (text, Placeholders(names)) for idx, (text, names) in work.templates.items()
        }
        self.remaining = len(work.pending)
        self.stopped = False
        self.lock = threading.Lock()
        self.buffer: list[tuple[int, str]] = []
        self.buffer_time = 0.0
        self.last_flush = time.monotonic()

    def qasm(self, item: tuple) -> str:
        _, _, text, template, params, *_ = item
        if text is not None:
            return text
        source, placeholders = self.templates[template]
        return placeholders.resolve(source, params)

    def config(self, idx: int) -> Any:
        if self.seed is None:
            return self.shared_config
        seed = (self.seed + idx) % _SEED_MODULUS
        return simulator_config(self.options, seed=seed)

    def execute(self, item: tuple) -> str:
        """Run one circuit; returns its result as JSON text."""
        idx, _label, _text, _template, _params, shots, _nq, n_clbits = item
        qasm = self.qasm(item)
        if self.noise is not None:  # noise_model (local/noise.py); never on the walker path
            if self.job.job_type == "EXPECTATION":
                terms = terms_for(idx, self.job.observables or [], self.job.circuit_ham_map)
                values = self.noise.estimate(strip_measurements(qasm), terms,
                                             self.config(idx), idx)
                return json.dumps(dict(zip(terms, values, strict=True)))
            counts = self.noise.execute(qasm, self.config(idx), shots, idx)
            return json.dumps(histogram(counts, n_clbits), separators=(",", ":"))
        if self.job.job_type == "EXPECTATION":
            terms = terms_for(idx, self.job.observables or [], self.job.circuit_ham_map)
            out = maestro.simple_estimate(strip_measurements(qasm), ";".join(terms),
                                          self.config(idx))
            values = out["expectation_values"]
            return json.dumps(dict(zip(terms, (float(v) for v in values), strict=True)))
        out = maestro.simple_execute(qasm, self.config(idx), shots=shots)
        return json.dumps(histogram(out["counts"], n_clbits), separators=(",", ":"))

    def run_one(self, item: tuple) -> None:
        """Worker task: run a circuit unless the job stopped, then record the outcome."""
        if self.stopped:
            return
        started = time.perf_counter()
        try:
            text = self.execute(item)
        except Exception as exc:
            self.fail(self.reason(item, exc))
            return
        self.record(item[0], text, time.perf_counter() - started)

    def run_batch(self, program: Program, items: list[tuple], part: Part,
                  values: np.ndarray, ref: np.ndarray, starts: np.ndarray,
                  reader: Reader) -> None:
        """Worker task: the template rows of ``part`` (positions in ``items``), walked on one
        persistent simulator or run as whole circuits (``local/walker.py``). If that fails,
        the rows not finished run one by one, so a failure is reported with the circuit's
        label as on the per-circuit path."""
        done: set[int] = set()

        def emit(r: int, text: str, seconds: float) -> None:
            done.add(r)
            self.record(items[r][0], text, seconds)

        def stopped() -> bool:
            return self.stopped

        try:
            if part.kind == "walk":
                run_rows(program, part.rows, values, ref, starts, reader.state, emit, stopped)
            else:
                run_whole(program, part.rows, values, reader, emit, stopped)
        except Exception:
            log.exception("job %s: batched template rows failed; running them one by one",
                          self.job_id)
            for r in part.rows:
                if r not in done:
                    self.run_one(items[r])

    def reason(self, item: tuple, exc: Exception) -> str:
        """The FAILED message: the label and, for a parse failure, the parser's own words."""
        label = item[1]
        try:
            parse(self.qasm(item), label=label)  # simple_execute hides the parser's reason
        except QasmError as parse_error:
            return str(parse_error)
        except Exception:  # the text cannot even be produced: report the original error
            pass
        return f"circuit {label!r} failed: {str(exc).strip() or type(exc).__name__}"

    def record(self, idx: int, text: str, seconds: float) -> None:
        with self.lock:
            if self.stopped:
                return
            self.buffer.append((idx, text))
            self.buffer_time += seconds
            self.remaining -= 1
            if self.remaining == 0:
                self.timing.hold_running(self.started)
                self.store.finish(self.job_id, results=self.buffer, run_time=self.buffer_time)
                self._end()
            elif (len(self.buffer) >= self.flush_every
                  or time.monotonic() - self.last_flush >= self.flush_seconds):
                if not self.store.save_results(self.job_id, self.buffer, self.buffer_time):
                    self._end()  # cancelled or deleted meanwhile
                self.buffer, self.buffer_time = [], 0.0
                self.last_flush = time.monotonic()

    def fail(self, message: str) -> None:
        with self.lock:
            if self.stopped:
                return
            self.timing.hold_running(self.started)
            self.store.finish(self.job_id, results=self.buffer, run_time=self.buffer_time,
                              error=message)
            self._end()

    def _end(self) -> None:
        self.stopped = True
        self.buffer = []
        self.on_end(self.job_id)


_WARM_LOCK = threading.Lock()
_warm = False


def warm_up() -> None:
    """Run one tiny circuit before any worker does.

    Maestro 0.3.8 can fail with "Failed to create sampling simulator" when its very first two
    simulations in a process start at the same moment; one call first avoids the race.
    """
    global _warm
    with _WARM_LOCK:
        if not _warm:
            text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q -> c;\n'
            maestro.simple_execute(text, maestro.SimulatorConfig(), shots=1)
            maestro.simple_estimate(text, "Z", maestro.SimulatorConfig())
            _warm = True


def work_size(work: Work) -> int:
    """A job's remaining work: the sum of 2**n_qubits over the circuits left to run."""
    return sum(1 << item[6] for item in work.pending)


def _in_lanes(tasks: list[Callable[[], None]], k: int) -> list[Callable[[], None]]:
    """At most ``k`` tasks that run ``tasks`` between them (task i in lane i mod k, in order),
    so a job holds at most ``k`` simulator states at once (its memory reservation)."""
    if len(tasks) <= k:
        return tasks

    def lane(tasks_of_lane: list[Callable[[], None]]) -> Callable[[], None]:
        def run() -> None:
            for task in tasks_of_lane:
                task()
        return run

    return [lane(tasks[i::k]) for i in range(k)]


class Runner:
    """Executes finalized jobs in a worker pool sized to the machine.

    Args:
        store (Store): the job store.
        workers (int | None): worker threads; default ``os.cpu_count()``.
        flush_every (int): a running job's results are stored every this many circuits or
            every ``flush_seconds``, whichever comes first.
        flush_seconds (float): see ``flush_every``; a restart loses at most that much work,
            and each store is one commit.
        process_threshold (int | None): jobs whose work (sum of 2**n_qubits over the circuits
            left to run) reaches this run in the killable worker process
            (``process_lane.py``); ``None`` runs every job in threads.
        timing (Timing | None): cloud-like PENDING/RUNNING holds (``timing.py``); off by
            default.
        memory_budget (int | None): bytes of simulator state the running jobs may need
            together (``memory.py``); ``None``: half of the physical memory. A job that does
            not fit beside the running ones stays PENDING until one ends.
    """

    def __init__(self, store: Store, *, workers: int | None = None,
                 flush_every: int = FLUSH_EVERY, flush_seconds: float = FLUSH_SECONDS,
                 process_threshold: int | None = PROCESS_THRESHOLD,
                 timing: Timing | None = None, memory_budget: int | None = None):
        warm_up()
        self.store = store
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timing = timing or Timing()
        self.process_threshold = process_threshold
        self.memory = MemoryGate(memory_budget or default_budget(), workers=self.workers)
        self._lane = None if process_threshold is None else ProcessLane(
            store, {"workers": self.workers, "flush_every": flush_every,
                    "flush_seconds": flush_seconds, "memory_budget": self.memory.budget},
            self.timing.hold_running)
        self._pool = Pool(self.workers)
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._closing = False

    def enqueue(self, job_id: str, owner: str | None = None) -> None:
        """Queue a finalized job: FIFO per ``owner``, owners served round robin (``pool.py``).

        With a PENDING hold (``timing``) the job is queued only once the hold has passed.
        """
        def start() -> None:
            self._pool.submit(lambda: self._start(job_id), lane=owner or "")

        if self.timing.pending > 0:
            timer = threading.Timer(self.timing.pending, start)
            timer.daemon = True
            timer.start()
        else:
            start()

    def run_here(self, job_id: str, owner: str | None = None) -> None:
        """Inline-run hook: run a small finalized job in the calling thread, every task in
        order, with no hand-off to the pool (``local/inline.py`` decides what is small).
        Claims, runs, stores and ends the job exactly as :meth:`enqueue`'s workers do.
        With a timing hold the job is queued instead (the hold must be seen by polls)."""
        if self.timing.active:
            self.enqueue(job_id, owner)
            return
        self._start(job_id, here=True)

    def cancel(self, job_id: str) -> None:
        """Stop a running job at its next circuit boundary (the store already says CANCELLED)."""
        with self._lock:
            run = self._runs.get(job_id)
        if run is not None:
            run.stopped = True
            self._ended(job_id)
        self.memory.release(job_id)  # also drops a job waiting for memory from the line
        if self._lane is not None:
            self._lane.kill(job_id)  # a job in the worker process stops at once

    def shutdown(self, *, timeout: float = 5.0) -> None:
        """Stop running jobs at their next circuit and stop the workers."""
        with self._lock:
            self._closing = True  # queued job starts are skipped; the jobs stay PENDING
            runs = list(self._runs.values())
        for run in runs:
            run.stopped = True  # RUNNING in the store: resumed by the next start-up
        if self._lane is not None:
            self._lane.close()  # kills the worker process, if one runs
        self._pool.shutdown(timeout=timeout)

    def _ended(self, job_id: str) -> None:
        with self._lock:
            self._runs.pop(job_id, None)
        self.memory.release(job_id)

    def _admitted(self, job_id: str) -> bool:
        """Reserve the job's memory (``memory.py``), or leave it PENDING, queued for a retry
        when memory frees; a job whose widest circuit can never fit is FAILED."""
        job = self.store.peek(job_id)
        if job is None or job.status != "PENDING" or not job.finalized:
            self.memory.release(job_id)  # gone or cancelled while it waited
            return False
        refusal = too_large(job.max_qubits, job.options, self.memory.budget)
        if refusal is not None:  # queued before the budget was lowered (a restart)
            self.store.set_status(job_id, status="FAILED", expect=("PENDING",),
                                  error=f"the job's widest circuit has {refusal}")
            self.memory.release(job_id)
            return False
        need = self.memory.need(job.max_qubits, job.options, circuits=job.n_circuits)
        return self.memory.admit(job_id, need, lambda: self._pool.submit(
            lambda: self._start(job_id), lane=job.owner))

    def _start(self, job_id: str, *, here: bool = False) -> None:
        if self._closing or not self._admitted(job_id):
            return
        try:
            work = self.store.claim(job_id)
        except Exception as exc:
            log.exception("could not claim job %s", job_id)
            self.store.set_status(job_id, status="FAILED", expect=LOCAL_ACTIVE_STATUSES,
                                  error=f"the local service could not start the job: {exc}")
            self.memory.release(job_id)
            return
        if work is None:
            self.memory.release(job_id)
            return
        if (not here and self._lane is not None and self.process_threshold is not None
                and work_size(work) >= self.process_threshold):
            self._lane.submit(work)  # killable: see process_lane.py
            threading.Thread(target=self._release_when_done, args=(work.job,),
                             daemon=True).start()
            return
        self.execute(work, here=here)

    def _release_when_done(self, job: Job) -> None:
        """Watch a job of the worker process; give its memory back once it has ended."""
        try:
            while self.store.wait_status(job.id, job.owner, 30.0)[0] in LOCAL_ACTIVE_STATUSES:
                pass
        except Exception:  # NotFound (deleted), or the store closed at shutdown
            pass
        self.memory.release(job.id)

    def execute(self, work: Work, *, here: bool = False) -> None:
        """Run a claimed job on this runner's threads (``here``: all in the calling thread).

        The worker process (``worker_process.py``) runs the jobs it is given through this.
        """
        job_id = work.job.id
        try:
            run = _Run(work, self.store, self._ended, flush_every=self.flush_every,
                       flush_seconds=self.flush_seconds, timing=self.timing)
        except Exception as exc:
            self.store.finish(job_id, results=[], run_time=0.0,
                              error=f"the local service could not start the job: {exc}")
            self.memory.release(job_id)
            return
        if not work.pending:  # every result was stored before a restart
            self.store.finish(job_id, results=[], run_time=0.0)
            self.memory.release(job_id)
            return
        with self._lock:
            self._runs[job_id] = run
        tasks = batched_tasks(run, work, workers=self.workers, encode=histogram)
        if tasks is None:
            tasks = [lambda item=item: run.run_one(item) for item in work.pending]
        tasks = _in_lanes(tasks, self.memory.parallel(work.job.max_qubits, run.options,
                                                      circuits=len(work.pending)))
        if here:  # run_here: no pool hand-off
            for task in tasks:
                task()
            return
        first, *rest = tasks
        for task in rest:
            self._pool.submit(task)
        # The claiming worker runs the first task itself: a 1-circuit job needs no hand-off.
        first()
