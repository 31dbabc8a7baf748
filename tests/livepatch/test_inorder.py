"""The background worker both ends of a sync use to overlap writing with what comes next."""

from __future__ import annotations

import threading
import time

import pytest

from velocity.livepatch._inorder import InOrder


def test_work_runs_in_order_on_another_thread() -> None:
    done: list[tuple[int, str]] = []
    worker = InOrder("test-inorder", queued=2)
    for i in range(50):
        worker.submit(lambda i=i: done.append((i, threading.current_thread().name)))
    worker.finish()
    assert [i for i, _ in done] == list(range(50))
    assert {name for _, name in done} == {"test-inorder"}


def test_the_first_error_stops_the_rest_and_is_raised_once() -> None:
    done: list[int] = []
    gate = threading.Event()
    worker = InOrder("test-inorder", queued=8)
    worker.submit(gate.wait)
    worker.submit(lambda: done.append(1))
    worker.submit(lambda: 1 / 0)
    worker.submit(lambda: done.append(2))  # queued behind the failure: dropped
    gate.set()
    with pytest.raises(ZeroDivisionError):
        worker.finish()
    assert done == [1]
    worker.finish()  # raised once: the caller has handled it


def test_an_error_surfaces_at_the_next_submit() -> None:
    failed = threading.Event()

    def fail() -> None:
        failed.set()
        raise OSError(28, "No space left on device")

    worker = InOrder("test-inorder", queued=1)
    worker.submit(fail)
    assert failed.wait(5)
    with pytest.raises(OSError, match="No space left"):
        _submit_until_it_raises(worker)
    worker.cancel()


def _submit_until_it_raises(worker: InOrder) -> None:
    deadline = time.monotonic() + 5  # the error is recorded just after fail() raises
    while time.monotonic() < deadline:
        worker.submit(lambda: None)
        time.sleep(0.01)


def test_cancel_drops_what_has_not_run_and_its_error() -> None:
    done: list[int] = []
    gate = threading.Event()
    worker = InOrder("test-inorder", queued=8)
    worker.submit(lambda: (gate.wait(), 1 / 0))  # fails while cancel waits for it
    worker.submit(lambda: done.append(1))
    threading.Timer(0.05, gate.set).start()
    worker.cancel()
    assert done == []
    worker.finish()  # the failure was dropped with the rest
    with pytest.raises(RuntimeError, match="after finish"):
        worker.submit(lambda: None)
