"""Which public updates are new since a git revision.

Both sides are read the way `incidentkb diff` reads them (review.read_revision and review.load_side: the same
strict loader and schemas) and projected with the public model's own builder, so unlisted services, near misses,
impact not assessed yet and every internal field stay out exactly as they stay off the public site. An update is
identified as the feed identifies its entry: by its record's id and its own time. It is new when customers can see
it now (the working tree as of the cut-off) and could not at REV (the records of REV as of REV's commit time):
added since, in a record made public since, or dated after REV was committed and due by now.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from generator.findings import Finding, UsageError
from generator.loader import Record
from generator.model import thaw
from generator.public import PublicIncident, PublicMaintenance, PublicModel, PublicUpdate, as_of, build_public_model
from generator.review import Side, load_side, read_revision
from generator.settings import Settings

PublicItem = PublicIncident | PublicMaintenance


@dataclass(frozen=True)
class Notice:
    """One public update of one incident or planned maintenance: what a message announces."""

    item: PublicItem
    update: PublicUpdate

    @property
    def kind(self) -> str:
        return (
            "maintenance" if isinstance(self.item, PublicMaintenance) or self.item.kind == "maintenance" else "incident"
        )

    @property
    def key(self) -> tuple[str, datetime]:
        """(record id, the update's time in UTC): the identity of the feed's entry for it."""
        return self.item.id, self.update.at.astimezone(UTC)


@dataclass(frozen=True)
class Changes:
    new: tuple[Notice, ...]  # to post, oldest first
    edited: tuple[Notice, ...]  # public at REV with other words or status now: not posted again
    later: tuple[Notice, ...]  # dated after the cut-off: posted by the first run after their time
    withdrawn: tuple[str, ...]  # ids of records public at REV that are not now (removed or made internal)
    head: PublicModel  # the public model the messages are rendered from
    head_problems: tuple[Finding, ...]  # records of the working tree that do not load or validate


def public_notices(model: PublicModel) -> dict[tuple[str, datetime], Notice]:
    """Every public update by its key: incidents' and planned maintenance's, as the feeds list them (maintenance
    that is also an incident counts once, as the incident)."""
    incidents = {i.id for i in model.incidents}
    items: list[PublicItem] = [*model.incidents, *(m for m in model.maintenance if m.id not in incidents)]
    notices = (Notice(item, update) for item in items for update in item.updates)
    return {notice.key: notice for notice in notices}


def public_model(side: Side) -> PublicModel:
    """A side's public model, built from its records by the public projection."""
    incidents = [Record(i.source, thaw(i.record)) for i in side.model.incidents]
    services = [Record(s.source, thaw(s.record)) for s in side.model.services]
    return build_public_model(incidents, services)


def commit_time(root: Path, revision: str) -> datetime:
    """When `revision` was committed (its committer date), as an aware datetime."""
    result = subprocess.run(
        ["git", "show", "-s", "--format=%cI", f"{revision}^{{commit}}", "--"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", errors="replace").strip() or "failed"
        raise UsageError(f"git show {revision}: {message}")
    return datetime.fromisoformat(result.stdout.decode("ascii").strip())


def changes_since(root: Path, revision: str, settings: Settings, cutoff: datetime) -> Changes:
    """The public updates of the working tree that customers could not see at `revision`."""
    base_files = read_revision(root, revision)  # first: a bad revision is a usage error before anything else
    committed = commit_time(root, revision)
    vocabulary = settings.vocabulary
    base_side = load_side(revision, base_files, settings.taxonomies)
    head_side = load_side("working tree", read_revision(root, None), settings.taxonomies)
    everything = public_model(head_side)
    head = as_of(everything, cutoff, vocabulary)
    base = public_notices(as_of(public_model(base_side), committed, vocabulary))
    now = public_notices(head)
    by_time = sorted(now.values(), key=lambda n: (n.key[1], n.key[0]))
    later = [n for key, n in public_notices(everything).items() if key not in now and n.update.at > cutoff]
    base_ids = {key[0] for key in base}
    return Changes(
        new=tuple(n for n in by_time if n.key not in base),
        edited=tuple(n for n in by_time if n.key in base and _words(base[n.key]) != _words(n)),
        later=tuple(sorted(later, key=lambda n: (n.key[1], n.key[0]))),
        withdrawn=tuple(sorted(base_ids - {key[0] for key in public_notices(everything)})),
        head=head,
        head_problems=tuple(head_side.problems),
    )


def _words(notice: Notice) -> tuple[str, str, datetime | None]:
    update = notice.update
    return update.status, update.message, update.next_update_at
