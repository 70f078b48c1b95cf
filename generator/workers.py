"""Work shared out to forked worker processes: the one place that forks.

fork gives each worker the parent's memory as it is (modules imported, schemas compiled, the model built), so a
task only names its share of the work and the shared data is never pickled; only results travel back. Where fork
is unavailable, or with one job or one task, the same function runs in this process. Started sets the value the
workers read through shared() just before they fork and resets it at once, makes every worker die with its parent
(die_with_parent), runs an optional initializer in each, and fails on a dead worker instead of hanging.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

_shared: Any = None  # set by Started just before the fork: what each forked worker hands its tasks


def _call(function: Callable[[Any, Any], Any], task: Any) -> Any:
    """In a worker: function(shared, task), with the `shared` value the worker inherited when it forked."""
    return function(_shared, task)


def die_with_parent(parent: int) -> None:
    """In a forked worker: end when the parent process ends, even when it is killed (a worker outliving its
    build would sleep forever). Linux sends the signal asked for with PR_SET_PDEATHSIG; elsewhere the executor's
    own checks apply."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def available_cpus() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def forks(jobs: int, tasks: int) -> bool:
    """Whether Started runs `tasks` tasks in forked workers (else in this process)."""
    return jobs >= 2 and tasks >= 2 and can_fork()


def in_order(
    function: Callable[[Any, Task], Result], tasks: Sequence[Task], jobs: int, shared: Any = None
) -> Iterator[Result]:
    """function(shared, task) for every task, in task order, on up to `jobs` processes. `function` must be a
    module-level function (it is pickled by name); `shared` reaches the workers by fork, never pickled."""
    with Started(function, tasks, jobs, shared) as started:
        yield from started.results()


class Started:
    """Tasks started in forked workers that go on while this process does other work; results() waits for
    them, in task order, as_completed() gives each as it finishes. Use it as a context manager, so that the workers
    stop if that other work fails. An executor rather than a Pool: a worker that dies (out of memory, killed)
    raises instead of hanging.

    Each task is function(shared, task). `function` must be a module-level function (it is pickled by name);
    `shared` reaches the workers by fork, never pickled, and tasks run here get it as an argument too.
    `initializer`, if given, runs in each worker once it has started (not in this process when the tasks run here).
    """

    def __init__(
        self,
        function: Callable[[Any, Any], Any],
        tasks: Sequence[Any],
        jobs: int,
        shared: Any = None,
        *,
        initializer: Callable[[], object] | None = None,
    ) -> None:
        global _shared
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[Any]] = []
        self._done: list[Any] | None = None
        _shared = shared
        try:
            if not forks(jobs, len(tasks)):
                self._done = [function(shared, task) for task in tasks]
            else:
                fork = multiprocessing.get_context("fork")
                self._pool = ProcessPoolExecutor(
                    min(jobs, len(tasks)),
                    mp_context=fork,
                    initializer=_start_worker,
                    initargs=(os.getpid(), initializer),
                )
                # The workers fork at the first submit, all of them (with fork, the executor starts no more later),
                # seeing `shared`.
                self._futures = [self._pool.submit(_call, function, task) for task in tasks]
        finally:
            _shared = None

    def results(self) -> list[Any]:
        """Every task's result, in task order."""
        if self._done is None:
            self._done = [future.result() for future in self._futures]
        return self._done

    def as_completed(self) -> Iterator[tuple[int, Any]]:
        """(the task's index, its result) for every task, as each finishes (in task order when run here)."""
        if self._done is not None:
            yield from enumerate(self._done)
            return
        index = {future: i for i, future in enumerate(self._futures)}
        for future in as_completed(self._futures):
            yield index[future], future.result()

    def __enter__(self) -> Started:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _start_worker(parent: int, initializer: Callable[[], object] | None) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer()


_spare_the_collector = False  # set by the entry point of a one-shot command (cli.main), never by library code


def spare_the_collector_until_exit() -> None:
    """For a one-shot command (an entry point's choice): data that collector_spared() marks as long-lived stays
    out of the cyclic collector's walks until the process ends. A long-lived process (serve) never calls this."""
    global _spare_the_collector
    _spare_the_collector = True


@contextmanager
def collector_spared() -> Iterator[Callable[[], None]]:
    """A block whose caller marks the data it has built so far as in use until the process ends, by calling what
    the block yields: gc.freeze when the entry point chose so (spare_the_collector_until_exit), else nothing.
    Frozen objects are never walked by the cyclic collector again (at 10,000 incidents that walk was a quarter of
    the generation), and forked workers share their memory pages instead of copying them."""
    yield gc.freeze if _spare_the_collector else _nothing


def _nothing() -> None:
    return None


def chunks(count: int, size: int) -> list[range]:
    """range(count) cut into consecutive ranges of `size` items (the last may be shorter)."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]
