"""Work shared out to forked worker processes, results in order.

fork gives each worker the parent's memory as it is (modules imported, schemas compiled, the model built), so a
task only names its share of the work and the shared data is never pickled; only results travel back. Where fork
is unavailable, or with one job, the same function runs in this process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

_shared: Any = None  # set by in_order() before the fork, read by the workers through shared()


def shared() -> Any:
    """The `shared` value of the in_order() call this task belongs to."""
    return _shared


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def in_order(
    function: Callable[[Task], Result], tasks: Sequence[Task], jobs: int, shared: Any = None
) -> Iterator[Result]:
    """function(task) for every task, in task order, on up to `jobs` processes. `function` must be a module-level
    function (it is pickled by name); `shared` is what it reads through shared()."""
    global _shared
    _shared = shared
    try:
        if jobs < 2 or len(tasks) < 2 or not can_fork():
            for task in tasks:
                yield function(task)
            return
        with multiprocessing.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
            yield from pool.imap(function, tasks)
    finally:
        _shared = None


def chunks(count: int, size: int) -> list[range]:
    """range(count) cut into consecutive ranges of `size` items (the last may be shorter)."""
    return [range(start, min(start + size, count)) for start in range(0, count, size)]
