"""Validation and generation shared out to worker processes give exactly what one process gives.

A knowledge base above the parallel threshold, with broken files spread over every chunk (loader, schema, rule
and warning findings, and an id used twice in files that land in different workers), is validated with one and
with two processes: the output must be byte-identical, and the workers must really have run.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import KB, TODAY_DATE, dump_yaml, sev1_incident

from generator import site as site_module
from generator import validate
from generator.knowledge_base import KnowledgeBase
from generator.render import pages as page_module
from generator.site import generate_internal
from generator.validate import validate_knowledge_base

COUNT = validate.PARALLEL_MIN_FILES + 60  # more than one chunk, and above the threshold


def incident(number: int) -> dict[str, object]:
    record = sev1_incident()
    record["id"] = f"INC-2026-{number:04d}"
    return record


def write_large_kb(kb: KB) -> dict[str, str]:
    """COUNT more incidents; some broken. Returns the rule expected for each broken file."""
    expected: dict[str, str] = {}
    for number in range(1, COUNT + 1):
        name = f"2026-10-14-bulk-{number:04d}.yaml"
        record = incident(number)
        if number % 97 == 0:
            record["severity"] = "SEV9"
            expected[name] = "schema"
        elif number % 89 == 0:
            record["detected_at"] = "2026-10-14T09:00:00Z"
            expected[name] = "time-order"
        elif number % 83 == 0:
            record["action_items"][0].update(due="2026-01-01", status="open")  # type: ignore[index]
            expected[name] = "action-item-overdue"
        elif number == COUNT:  # the last file reuses the first file's id: they are checked by different workers
            record["id"] = incident(1)["id"]
            expected[name] = "id-unique"
        text = dump_yaml(record)
        if number % 101 == 0:
            text += "title: twice\n"
            expected[name] = "duplicate-key"
        kb.write_incident(name, text)
    return expected


def test_two_workers_report_exactly_what_one_process_reports(kb: KB) -> None:
    expected = write_large_kb(kb)

    one = kb.validate_cli("--jobs", "1")
    two = kb.validate_cli("--jobs", "2")

    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr == ""
    lines = one.stdout.splitlines()[:-1]
    reported = {line.split(":")[0].rsplit("/", 1)[-1]: line.split("[")[1].split("]")[0] for line in lines}
    assert reported == expected


_PID_FOLDER = ""


def _recording_chunk(shared: None, chunk: tuple[list[Path], KnowledgeBase, object]) -> validate.CheckedIncidents:
    """The real worker function, leaving a mark of the process it ran in."""
    Path(_PID_FOLDER, str(os.getpid())).touch()
    return _ORIGINAL_CHECK_CHUNK(shared, chunk)  # type: ignore[arg-type]


_ORIGINAL_CHECK_CHUNK = validate._check_chunk


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (not on Windows)")
def test_large_knowledge_bases_are_checked_in_worker_processes(
    kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_large_kb(kb)
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setattr(sys.modules[__name__], "_PID_FOLDER", str(pids))
    monkeypatch.setattr(validate, "_check_chunk", _recording_chunk)

    parallel = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, keep_incidents=False, jobs=2)
    serial = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, keep_incidents=False, jobs=1)

    workers = {int(p.name) for p in pids.iterdir()}  # usually two; one worker may take both chunks
    assert workers and os.getpid() not in workers
    assert parallel.findings == serial.findings and parallel.findings


def test_documents_are_kept_when_asked_for_whatever_the_jobs(kb: KB) -> None:
    result = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, jobs=2)
    assert result.ok and len(result.incidents) == 4


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (not on Windows)")
def test_workers_send_the_records_back_in_file_order(kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`build` needs the records: workers check them and send them back, and the parent keeps them in order."""
    write_large_kb(kb)
    pids = tmp_path / "pids"
    pids.mkdir()
    monkeypatch.setattr(sys.modules[__name__], "_PID_FOLDER", str(pids))
    monkeypatch.setattr(validate, "_check_chunk", _recording_chunk)

    parallel = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, jobs=2)
    serial = validate_knowledge_base(KnowledgeBase(kb.root), today=TODAY_DATE, jobs=1)

    workers = {int(p.name) for p in pids.iterdir()}
    assert workers and os.getpid() not in workers
    assert len(serial.incidents) > validate.PARALLEL_MIN_FILES
    assert [(r.path, r.data) for r in parallel.incidents] == [(r.path, r.data) for r in serial.incidents]
    assert parallel.findings == serial.findings


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork (not on Windows)")
def test_post_mortems_and_reports_made_by_workers_are_the_same(
    kb: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(1, 13):
        kb.write_incident(f"2026-10-14-bulk-{number:04d}.yaml", dump_yaml(incident(number)))
    monkeypatch.setattr(site_module, "PARALLEL_MIN_INCIDENTS", 0)
    monkeypatch.setattr(site_module, "_CHUNK_INCIDENTS", 2)
    pids = tmp_path / "pids"
    pids.mkdir()
    render = page_module._postmortem

    def render_and_mark(*args: object) -> dict[str, str]:
        (pids / str(os.getpid())).touch()
        return render(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(page_module, "_postmortem", render_and_mark)
    reports = tmp_path / "report-pids"
    reports.mkdir()
    report = site_module.report_from  # a month's report from what it reads (analyze/report.py)

    def report_and_mark(*args: object, **kwargs: object) -> object:
        (reports / str(os.getpid())).touch()
        return report(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(site_module, "report_from", report_and_mark)
    rendered = tmp_path / "render-pids"
    rendered.mkdir()
    render_report = site_module.render_report

    def render_report_and_mark(*args: object, **kwargs: object) -> dict[str, str]:
        (rendered / str(os.getpid())).touch()
        return render_report(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(site_module, "render_report", render_report_and_mark)
    as_of = datetime(2026, 11, 23, 12, tzinfo=UTC)

    parallel, _ = generate_internal(KnowledgeBase(kb.root), as_of, jobs=2)
    workers = {int(p.name) for p in pids.iterdir()}
    report_workers = {int(p.name) for p in reports.iterdir()}
    render_workers = {int(p.name) for p in rendered.iterdir()}
    serial, _ = generate_internal(KnowledgeBase(kb.root), as_of, jobs=1)

    assert workers and os.getpid() not in workers
    assert report_workers and os.getpid() not in report_workers
    assert render_workers and os.getpid() not in render_workers  # the reports are rendered where they are made
    assert sum(path.startswith("reports/") for path in serial) > 2
    assert sum(path.startswith("incidents/INC-") for path in serial) == 16
    assert list(parallel) == list(serial) and parallel == serial


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_number(kb: KB, value: str) -> None:
    proc = kb.validate_cli("--jobs", value)
    assert proc.returncode == 2
    assert "not a number of processes" in proc.stderr
