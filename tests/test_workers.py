"""The one fork helper (generator/workers.py): the value the workers read is theirs only, each result comes back
with the index of its task, every worker runs the initializer asked for, and a worker that dies fails the work.

Real forked workers, two of them; the tasks are tiny.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from generator import workers

needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
_MARKS = ""  # a folder the workers' initializer marks, set by the test before the fork


def _times_shared(shared: int, task: int) -> tuple[int, int]:
    return task * shared, os.getpid()


def _mark_worker() -> None:
    Path(_MARKS, str(os.getpid())).touch()


def _pid(_: None, task: int) -> int:
    return os.getpid()


def _die_on_three(_: None, task: int) -> int:
    if task == 3:
        os._exit(1)  # as a worker killed for its memory ends: no exception, no result
    return task


@needs_fork
def test_results_come_back_as_completed_with_their_task_index() -> None:
    tasks = list(range(20))
    with workers.Started(_times_shared, tasks, 2, 3) as started:
        assert workers._shared is None  # the workers have forked: the parent holds the value no longer
        completed = list(started.as_completed())
    assert sorted(index for index, _ in completed) == tasks
    assert all(result == tasks[index] * 3 for index, (result, _) in completed)
    assert os.getpid() not in {pid for _, (_, pid) in completed}


def test_one_job_runs_the_tasks_here_in_order() -> None:
    with workers.Started(_times_shared, [1, 2, 3], 1, 10) as started:
        assert list(started.as_completed()) == [(0, (10, os.getpid())), (1, (20, os.getpid())), (2, (30, os.getpid()))]
        assert [result for result, _ in started.results()] == [10, 20, 30]
    assert workers._shared is None


@needs_fork
def test_every_worker_runs_the_initializer_and_this_process_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "_MARKS", str(tmp_path))
    with workers.Started(_pid, list(range(10)), 2, initializer=_mark_worker) as started:
        ran = set(started.results())
    initialized = {int(path.name) for path in tmp_path.iterdir()}
    assert len(initialized) == 2 and os.getpid() not in initialized
    assert ran <= initialized

    with workers.Started(_pid, list(range(10)), 1, initializer=_mark_worker) as started:
        assert set(started.results()) == {os.getpid()}
    assert {int(path.name) for path in tmp_path.iterdir()} == initialized


@needs_fork
def test_a_worker_that_dies_fails_the_work_instead_of_hanging_it() -> None:
    with pytest.raises(BrokenProcessPool), workers.Started(_die_on_three, list(range(8)), 2) as started:
        list(started.as_completed())
