"""The worker pool (``local/pool.py``): parallel tasks, and a failing task keeps its worker."""

from __future__ import annotations

import threading

from pennylane_qoro.local.pool import Pool


class TestPool:
    def test_runs_tasks_on_several_threads(self) -> None:
        pool = Pool(2)
        seen: set[str] = set()
        barrier = threading.Barrier(2, timeout=10)

        def task() -> None:
            seen.add(threading.current_thread().name)
            barrier.wait()  # both workers must be busy at once to pass

        pool.submit(task)
        pool.submit(task)
        pool.shutdown(timeout=10)
        assert len(seen) == 2

    def test_a_failing_task_does_not_kill_its_worker(self) -> None:
        pool = Pool(1)
        done = threading.Event()
        pool.submit(lambda: 1 / 0)
        pool.submit(done.set)
        assert done.wait(10)
        pool.shutdown()

    def test_lanes_take_turns_fifo_within_each_and_unlaned_tasks_go_first(self) -> None:
        pool = Pool(1)
        gate = threading.Event()
        order: list[str] = []
        pool.submit(gate.wait)  # holds the only worker while the queue fills
        for i in range(4):
            pool.submit(lambda i=i: order.append(f"a{i}"), lane="alice")
        for i in range(2):
            pool.submit(lambda i=i: order.append(f"b{i}"), lane="bob")
        pool.submit(lambda: order.append("now"))  # a running job's circuit
        gate.set()
        pool.shutdown(timeout=10)
        assert order == ["now", "a0", "b0", "a1", "b1", "a2", "a3"]
