"""`incidentkb notify`: find the new public updates, render a message per target's format, post them (or print them
with --dry-run), and print one report line per target. Exit 0 when every configured target succeeded (skipped ones
included), 1 when one failed or the records are invalid; usage errors raise UsageError (exit 2)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from generator.config import NotifyTarget
from generator.findings import InvalidRecordsError, UsageError, format_text, visible
from generator.knowledge_base import KnowledgeBase
from generator.model import utc_timestamp
from generator.notify.changes import Changes, Notice, changes_since
from generator.notify.delivery import deliver
from generator.notify.messages import message_for, payload
from generator.settings import Settings, load_settings


def notify(
    kb: KnowledgeBase,
    since: str,
    *,
    targets: Sequence[str] | None,
    dry_run: bool,
    cutoff: datetime,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        settings = load_settings(kb.root)
    except InvalidRecordsError as exc:
        print(format_text(exc.findings), file=err)
        print("incidentkb: error: the settings (incidentkb.yml) are invalid; nothing was posted", file=err)
        return 1
    chosen = _chosen_targets(settings, targets)
    if settings.site_url is None:
        raise UsageError("notify needs public.site_url in incidentkb.yml: each message links to the public site")
    changes = changes_since(kb.root, since, settings, cutoff)
    if changes.head_problems:
        print(format_text(list(changes.head_problems)), file=err)
        print("incidentkb: error: records of the working tree do not load or validate; nothing was posted", file=err)
        return 1
    _print_changes(changes, since, cutoff, out)
    if not chosen:
        print("no targets: incidentkb.yml has no notify.targets, so nothing is posted", file=out)
        return 0
    if not changes.new:
        return 0
    messages = [message_for(notice, changes.head, settings) for notice in changes.new]
    failed = False
    for target in chosen:
        batch = [(m.id, _describe(n), payload(m, target.format)) for m, n in zip(messages, changes.new, strict=True)]
        if dry_run:
            _print_payloads(target, batch, out)
            continue
        report = deliver(target, batch, settings.notify)
        failed |= report.failed
        print(report.line(), file=out)
    return 1 if failed else 0


def _chosen_targets(settings: Settings, names: Sequence[str] | None) -> list[NotifyTarget]:
    configured = list(settings.notify.targets)
    if not names:
        return configured
    known = {t.name for t in configured}
    unknown = [n for n in names if n not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise UsageError(f"--target {visible(unknown[0])}: no such target in notify.targets (there are: {listed})")
    return [t for t in configured if t.name in names]


def _describe(notice: Notice) -> str:
    return f"{notice.item.id} at {utc_timestamp(notice.update.at)}"


def _print_changes(changes: Changes, since: str, cutoff: datetime, out: TextIO) -> None:
    count = len(changes.new)
    if count == 0:
        print(f"nothing to post: no public update was added since {visible(since)}", file=out)
    else:
        noun = "update" if count == 1 else "updates"
        print(f"{count} new public {noun} since {visible(since)}, oldest first:", file=out)
    for notice in changes.new:
        print(f"  {_line(notice)}", file=out)
    for notice in changes.edited:
        print(f"not posted again (edited since {visible(since)}): {_line(notice)}", file=out)
    for notice in changes.later:
        when = utc_timestamp(cutoff.astimezone(UTC))
        print(f"not posted yet (dated after {when}; a run after its time posts it): {_line(notice)}", file=out)
    for record_id in changes.withdrawn:
        print(f"no longer public since {visible(since)} (nothing is posted about it): {record_id}", file=out)


def _line(notice: Notice) -> str:
    return visible(f"{_describe(notice)} ({notice.update.status}): {notice.item.title}")


def _print_payloads(target: NotifyTarget, batch: list[tuple[str, str, dict[str, object]]], out: TextIO) -> None:
    print(f"{target.name} ({target.format}): would post {len(batch)} (dry run; {target.url_env} not read)", file=out)
    for message_id, description, body in batch:
        print(f"--- {description} ({message_id})", file=out)
        print(json.dumps(body, indent=2, ensure_ascii=False), file=out)
