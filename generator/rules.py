"""The policy rules: what a schema cannot say about one record, or about records together. Each rule has a stable
name (docs/policy.md documents every one with a real finding and its fix) and turns a schema-valid document into
findings; generator/validate.py runs them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.findings import Finding, Severity
from generator.loader import Document
from generator.model import (
    DateOnly,
    impact_minutes,
    is_before,
    measurable,
    measured_windows,
    parse_time,
    stated_differs,
)
from generator.policy import Policy, Profile
from generator.vocabulary import DEFAULT, IMPACT_LEVELS, OPEN_ACTION_STATUSES, PHASES, Vocabulary

INCIDENT_FILE_NAME = re.compile(r"^(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")


@dataclass(frozen=True)
class IdUse:
    """Where a record states its id: all that id uniqueness needs once the record itself is checked."""

    id: str
    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Context:
    today: date
    strict: bool
    known_services: set[str]
    policy: Policy = field(default_factory=Policy)
    vocabulary: Vocabulary = DEFAULT  # the knowledge base's words: the schemas' with its taxonomies added
    report_zone: str = "UTC"
    now: datetime | None = (
        None  # the cut-off to the minute (--as-of), for promises made in time of day  # incidentkb.yml report.timezone: the zone the public tables show times in
    )

    def profile(self, doc: Document) -> Profile:
        return self.policy.for_record(doc.data)


Rule = Callable[[Document, Context], Iterator[Finding]]
INCIDENT_RULES: list[Rule] = []
SERVICE_RULES: list[Rule] = []


def incident_rule(func: Rule) -> Rule:
    INCIDENT_RULES.append(func)
    return func


def service_rule(func: Rule) -> Rule:
    SERVICE_RULES.append(func)
    return func


def check_incident(doc: Document, context: Context) -> list[Finding]:
    return [finding for rule in INCIDENT_RULES for finding in rule(doc, context)]


def check_service(doc: Document, context: Context) -> list[Finding]:
    return [finding for rule in SERVICE_RULES for finding in rule(doc, context)]


def finding(path: str, line: int, column: int, rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(path, line, column, severity, rule, message)


def at(doc: Document, where: list[str | int], rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    line, column = doc.locate(where)
    return finding(doc.path, line, column, rule, message, severity)


# --- incident rules -----------------------------------------------------------------------------------------


@incident_rule
def id_matches_file_name(doc: Document, _: Context) -> Iterator[Finding]:
    name = Path(doc.path).name
    match = INCIDENT_FILE_NAME.match(name)
    if not match:
        yield at(doc, [], "id-filename", f"file name {name!r} must read <YYYY-MM-DD>-<slug>.yaml (lower-case slug)")
        return
    file_date = match["date"]
    folder = Path(doc.path).parent.name
    if folder != file_date[:4]:
        yield at(
            doc,
            ["id"],
            "id-filename",
            f"a file dated {file_date} belongs in incidents/{file_date[:4]}/, not in {folder!r}",
        )
    record_id = doc.data["id"]
    if record_id.split("-")[1] != file_date[:4]:
        yield at(doc, ["id"], "id-filename", f"id {record_id} does not match the year of the file name {name!r}")
    started = parse_time(doc.data.get("started_at"))
    if started is not None and (started_day := started.isoformat()[:10]) != file_date:
        yield at(
            doc, ["started_at"], "id-filename", f"started_at is {started_day} but the file name is dated {file_date}"
        )


@incident_rule
def services_exist(doc: Document, context: Context) -> Iterator[Finding]:
    for index, service in enumerate(doc.data["services"]):
        if service not in context.known_services:
            yield at(
                doc, ["services", index], "unknown-service", f"service {service!r} has no file services/{service}.yaml"
            )
    for index, window in enumerate(doc.data.get("impact") or []):
        if window["service"] not in doc.data["services"]:
            yield at(
                doc,
                ["impact", index, "service"],
                "unknown-service",
                f"impact names {window['service']!r}, which is not in this incident's services",
            )


@incident_rule
def phases_in_order(doc: Document, _: Context) -> Iterator[Finding]:
    previous: tuple[str, datetime] | None = None
    for phase in PHASES:
        moment = parse_time(doc.data.get(phase))
        if moment is None:
            continue  # unknown: nothing to compare
        if previous and is_before(moment, previous[1]):
            yield at(
                doc,
                [phase],
                "time-order",
                f"{phase} ({_written(doc.data[phase])}) is before {previous[0]} ({_written(doc.data[previous[0]])})",
            )
        previous = (phase, moment)


def _written(value: object) -> str:
    """A time as the author wrote it: {about: X} reads "about X"."""
    if isinstance(value, dict):
        return f"about {value.get('about')}"
    return str(value)


@incident_rule
def severity_assessed(doc: Document, context: Context) -> Iterator[Finding]:
    if doc.data["severity"] is None and "severity" in context.profile(doc).requires:
        yield at(
            doc,
            ["severity"],
            "severity-required",
            "a live record needs its severity (SEV1 to SEV4; docs/severity.md); only a reconstructed or imported "
            "record may leave it null",
        )


@incident_rule
def status_consistent(doc: Document, context: Context) -> Iterator[Finding]:
    data = doc.data
    unrecorded = data["status"] == "resolved" and data.get("resolved_at") is None
    if unrecorded and "resolved_at" in context.profile(doc).requires:
        yield at(
            doc,
            ["resolved_at"] if "resolved_at" in data else ["status"],
            "resolved-at-required",
            "a resolved live incident needs resolved_at, when the fix was verified (a date or {about: ...} is "
            "enough); only a reconstructed or imported record may leave it null",
        )
    if data["status"] != "resolved" and data.get("resolved_at"):
        yield at(doc, ["resolved_at"], "resolved-at-required", f"resolved_at is set but status is {data['status']!r}")


def _ends_by_start(start: datetime, end: datetime) -> bool:
    """Whether a window ends at or before it starts; with a date only, whether it ends on an earlier day."""
    if isinstance(start, DateOnly) or isinstance(end, DateOnly):
        return is_before(end, start)
    return end <= start


@incident_rule
def impact_windows_valid(doc: Document, context: Context) -> Iterator[Finding]:
    """Impact lies between the incident's start and resolution, unless its timing says it did not: impact before
    detection may start earlier, residual impact (a backlog) may end later. Both are shown as such."""
    data = doc.data
    started, resolved = parse_time(data.get("started_at")), parse_time(data.get("resolved_at"))
    ends_required = "impact_end" in context.profile(doc).requires
    for index, window in enumerate(data.get("impact") or []):
        start, end = parse_time(window.get("start")), parse_time(window.get("end"))
        timing = window.get("timing", "during")
        if end is None and data["status"] == "resolved" and ends_required:
            yield at(
                doc,
                ["impact", index],
                "open-impact",
                "a resolved live incident cannot have an impact window without an end (an estimate, {about: ...}, "
                "is enough)",
            )
        if start is not None and end is not None and _ends_by_start(start, end):
            yield at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact window ends ({_written(window['end'])}) at or before its start ({_written(window['start'])})",
            )
        if started is not None and start is not None and is_before(start, started) and timing != "before_detection":
            yield at(
                doc,
                ["impact", index, "start"],
                "impact-window",
                f"impact starts ({_written(window['start'])}) before the incident started "
                f"({_written(data['started_at'])}); if it did (data lost before anyone noticed), say "
                "timing: before_detection",
            )
        if resolved is not None and end is not None and is_before(resolved, end) and timing != "residual":
            yield at(
                doc,
                ["impact", index, "end"],
                "impact-window",
                f"impact ends ({_written(window['end'])}) after the incident was resolved "
                f"({_written(data['resolved_at'])}); if it went on after the fix (a backlog, a product recovering "
                "later), say timing: residual",
            )
        if window.get("kind", "availability") != "availability" and window.get("level") is not None:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-kind",
                f"level is for availability impact; a {window['kind']} entry says how much in quantities instead",
            )
        elif (
            window.get("kind", "availability") == "availability"
            and window.get("level") is not None
            and not (measurable(start, end) and not (end is None and data["status"] == "resolved"))
            and not (end is None and data["status"] == "resolved" and ends_required)  # open-impact says it
        ):
            yield at(
                doc,
                ["impact", index],
                "impact-unmeasured",
                "this availability window counts for nothing in availability: its start or end is "
                + ("not recorded" if start is None or end is None else "a date only")
                + "; if the sources allow an estimate, write it as {about: <time>}",
                Severity.WARNING,
            )
    if data["kind"] == "near_miss":
        for index, window in enumerate(data.get("impact") or []):
            if window.get("level") not in (None, "degraded_performance"):  # an unassessed level: impact-unassessed
                yield at(
                    doc,
                    ["impact", index, "level"],
                    "near-miss-impact",
                    "a near miss did not affect customers; record it as an incident or lower the level",
                )


@incident_rule
def impact_assessed(doc: Document, context: Context) -> Iterator[Finding]:
    """`level: null` (not assessed yet) is allowed while the incident is open, but publishes and counts nothing;
    a resolved live incident says what customers saw (a record from sources may not know)."""
    resolved = doc.data["status"] == "resolved"
    required = "impact_level" in context.profile(doc).requires
    levels = ", ".join(IMPACT_LEVELS[:-1]) + " or " + IMPACT_LEVELS[-1]
    for index, window in enumerate(doc.data.get("impact") or []):
        if window.get("level") is not None or window.get("kind", "availability") != "availability":
            continue
        if resolved and not required:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"the level of the impact on {window['service']!r} is not recorded: it is shown, but not published "
                f"and counts for nothing in availability; set it to {levels} if the sources say",
                Severity.WARNING,
            )
            continue
        if resolved:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"a resolved incident needs the level of every impact window: set the one on {window['service']!r} "
                f"to {levels}",
            )
        else:
            yield at(
                doc,
                ["impact", index, "level"],
                "impact-unassessed",
                f"the impact on {window['service']!r} is not assessed yet: it is not published and counts for "
                f"nothing in availability until its level is set to {levels}",
                Severity.WARNING,
            )


@incident_rule
def updates_in_order(doc: Document, _: Context) -> Iterator[Finding]:
    for key, field_name in (("updates", "at"), ("timeline", "at")):
        entries = doc.data.get(key) or []
        for index in range(1, len(entries)):
            earlier, later = parse_time(entries[index - 1][field_name]), parse_time(entries[index][field_name])
            if earlier is not None and later is not None and is_before(later, earlier):
                yield at(
                    doc,
                    [key, index, field_name],
                    f"{key}-order",
                    f"{key} must be in time order: this entry is earlier than the one before",
                )


@incident_rule
def maintenance_statuses_only_on_maintenance(doc: Document, context: Context) -> Iterator[Finding]:
    """An update status whose lifecycle phase is no incident status (scheduled, in_progress, completed, and any
    status a knowledge base adds with such a phase) belongs to planned maintenance only."""
    if doc.data["kind"] == "maintenance":
        return
    vocabulary = context.vocabulary
    planned = vocabulary.maintenance_update_statuses
    for index, update in enumerate(doc.data.get("updates") or []):
        if update["status"] in planned:
            phases = vocabulary.incident_statuses
            allowed = ", ".join(phases[:-1]) + " or " + phases[-1]
            added = [s for s in vocabulary.incident_update_statuses if s not in DEFAULT.update_statuses]
            phase = vocabulary.phase_of(update["status"])
            yield at(
                doc,
                ["updates", index, "status"],
                "maintenance-status",
                f"{update['status']!r} is for planned maintenance"
                + (f" (its phase is {phase})" if phase != update["status"] else "")
                + f"; an incident update is {allowed}"
                + (f" (or this knowledge base's {', '.join(added)})" if added else ""),
            )


@incident_rule
def containment_applied_before_removed(doc: Document, _: Context) -> Iterator[Finding]:
    for index, action in enumerate(doc.data.get("containment") or []):
        applied, removed = parse_time(action.get("applied_at")), parse_time(action.get("removed_at"))
        if applied and removed and is_before(removed, applied):
            yield at(
                doc,
                ["containment", index, "removed_at"],
                "containment-order",
                f"removed ({_written(action['removed_at'])}) before it was applied ({_written(action['applied_at'])})",
            )


@incident_rule
def postmortem_complete(doc: Document, context: Context) -> Iterator[Finding]:
    """A resolved record of the kinds and severities its policy profile names needs the parts the profile lists
    (for live records by default: a root cause with its five whys, 2 to 4 owned and dated action items, and a
    public update)."""
    data = doc.data
    profile = context.profile(doc)
    if data["status"] != "resolved" or not profile.needs_postmortem(data["kind"], data["severity"]):
        return
    required = profile.postmortem_requires
    label = f"a resolved {data['severity']}"
    root_cause = data.get("root_cause") or {}
    missing = []
    if "root_cause" in required and not root_cause.get("description"):
        missing.append("a description")
    if "five_whys" in required and not root_cause.get("five_whys"):
        missing.append("its five_whys")
    if missing:
        yield at(
            doc,
            ["root_cause"] if "root_cause" in data else [],
            "root-cause-required",
            f"{label} needs a root_cause with {' and '.join(missing)}",
        )
    items = data.get("action_items") or []
    low, high = profile.action_items_min, profile.action_items_max
    if "action_items" in required and (len(items) < low or (high is not None and len(items) > high)):
        wanted = f"{low} to {high}" if high is not None else f"at least {low}"
        yield at(
            doc,
            ["action_items"] if "action_items" in data else [],
            "action-items-count",
            f"{label} needs {wanted} action items (has {len(items)}); "
            + (
                "more than that and none get done"
                if high is not None and len(items) > high
                else "fewer leaves open what would prevent, detect or limit a repeat"
            ),
        )
    for index, item in enumerate(items):
        for key, requirement, need in (
            ("owner", "action_item_owner", "an owner"),
            ("due", "action_item_due", "a due date"),
            ("status", "action_item_status", "a status"),
        ):
            if requirement in required and not item.get(key):
                yield at(
                    doc, ["action_items", index], "action-item-owner", f"action item {item['title']!r} needs {need}"
                )
    if "public_update" in required and not data.get("updates"):
        yield at(doc, [], "public-update-required", f"{label} needs at least one public customer update")


@incident_rule
def promised_update_not_overdue(doc: Document, context: Context) -> Iterator[Finding]:
    """An unresolved incident whose last update promised the next one by a time that has passed: the public site
    says the update is overdue, and the team hears it here first."""
    updates = doc.data.get("updates") or []
    if doc.data["status"] == "resolved" or not updates:
        return
    promised = parse_time(updates[-1].get("next_update_at"))
    now = context.now or datetime.combine(context.today, time(0), UTC)
    if promised is not None and promised < now:
        utc = promised.astimezone(UTC)
        shown = f"{utc:%H:%M} UTC on {utc.day} {utc:%B %Y}"
        yield at(
            doc,
            ["updates", len(updates) - 1, "next_update_at"],
            "update-overdue",
            f"the last customer update promised the next one by {shown}, and none is published: the public site"
            " says the update is overdue; publish one (incidentkb update), or resolve the incident",
            Severity.WARNING,
        )


@incident_rule
def action_items_not_overdue(doc: Document, context: Context) -> Iterator[Finding]:
    """Overdue work warns (an error with --strict, or where the profile says error); a record written from
    sources after the fact has nothing overdue (its profile says off)."""
    setting = context.profile(doc).overdue_action_items
    if setting == "off":
        return
    severity = Severity.ERROR if context.strict or setting == "error" else Severity.WARNING
    for index, item in enumerate(doc.data.get("action_items") or []):
        due = item.get("due")
        if due and item.get("status") in OPEN_ACTION_STATUSES and date.fromisoformat(due) < context.today:
            yield at(
                doc,
                ["action_items", index, "due"],
                "action-item-overdue",
                f"action item {item['title']!r} was due {due} and is still {item['status']}",
                severity,
            )


# What each measure of a quantity needs besides its value, and what that key says (the schema lists every key;
# which one applies depends on the measure).
QUANTITY_NEEDS = {
    "share": ("of", "what it is a share of (users, requests, traffic)"),
    "count": ("unit", "what is counted (devices, orders, writes)"),
    "money": ("currency", "its ISO 4217 code (USD, EUR)"),
}


@incident_rule
def quantities_complete(doc: Document, _: Context) -> Iterator[Finding]:
    """A share says of what (and is at most 100%), a count what it counts, money its currency."""
    places: list[tuple[list[str | int], list[dict[str, Any]]]] = [
        (["impact", i], w.get("quantities") or []) for i, w in enumerate(doc.data.get("impact") or [])
    ]
    places += [(["stated", i], e.get("quantities") or []) for i, e in enumerate(doc.data.get("stated") or [])]
    for where, quantities in places:
        for number, quantity in enumerate(quantities):
            key, meaning = QUANTITY_NEEDS[quantity["measure"]]
            if not quantity.get(key):
                yield at(
                    doc,
                    [*where, "quantities", number],
                    "quantity-incomplete",
                    f"a {quantity['measure']} needs `{key}`: {meaning}",
                )
            if quantity["measure"] == "share" and quantity["value"] > 100:
                yield at(
                    doc,
                    [*where, "quantities", number, "value"],
                    "quantity-incomplete",
                    f"a share is a percentage from 0 to 100, not {quantity['value']:g}",
                )


@incident_rule
def stated_duration_agrees(doc: Document, _: Context) -> Iterator[Finding]:
    """A duration a publication states should be the one the record's times give; when they differ, one of them
    is wrong (or they measure different things, which the note should say). Never an error: sources disagree."""
    stated = doc.data.get("stated") or []
    if not stated:
        return
    computed = impact_minutes(measured_windows(doc.data))
    if computed is None:
        return
    for index, entry in enumerate(stated):
        minutes = entry.get("duration_minutes")
        if minutes is None:
            continue
        if stated_differs(minutes, bool(entry.get("approximate")), computed):
            yield at(
                doc,
                ["stated", index, "duration_minutes"],
                "stated-duration",
                f"{entry['source']} states {minutes:g} minutes; the record's impact windows give {computed:.0f} "
                "(check the times, or say in the note what the source measured)",
                Severity.WARNING,
            )


# --- public prose times -------------------------------------------------------------------------------------

# The public texts a customer reads (the schema's x-public text fields), and whether each tells the incident's own
# span: what happened, what was done, the impact, the updates as they went out. The cause may lie hours before
# (a change that morning), prevention and the post-mortem describe later work: their times are not compared with
# the span (public-time-outside), only checked for a zone (public-time-zone).
PUBLIC_SUMMARY_TEXTS = (
    ("public", True),
    ("public_cause", False),
    ("public_mitigation", True),
    ("public_prevention", False),
    ("public_postmortem", False),
)
# How far before the incident's first start and after its last end a time in its public text may lie (rounding,
# "from about 14:00" for a start at 14:20, the minutes around the first and the last update).
PROSE_TOLERANCE = timedelta(minutes=30)

# Zone abbreviations a time may be followed by, with their offsets in minutes (None: the abbreviation names more
# than one zone, IST India, Ireland or Israel, CST US Central or China, AST Atlantic or Arabia: it is a zone, but
# the time is not converted), and the generic North American names, which follow daylight saving time.
FIXED_ZONES: Mapping[str, int | None] = {
    "UTC": 0, "GMT": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "WAT": 60, "CAT": 120, "SAST": 120, "EAT": 180, "IST": None, "PKT": 300, "ICT": 420, "WIB": 420,
    "SGT": 480, "HKT": 480, "AWST": 480, "JST": 540, "KST": 540, "ACST": 570, "ACDT": 630, "AEST": 600,
    "AEDT": 660, "NZST": 720, "NZDT": 780, "HST": -600, "AKST": -540, "AKDT": -480, "PST": -480, "PDT": -420,
    "MST": -420, "MDT": -360, "CST": None, "CDT": -300, "EST": -300, "EDT": -240, "AST": None, "ADT": -180,
    "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
}  # fmt: skip
GENERIC_ZONES: Mapping[str, str] = {
    "PT": "America/Los_Angeles", "MT": "America/Denver", "CT": "America/Chicago", "ET": "America/New_York",
}  # fmt: skip
_IANA_AREAS = (
    "Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc|US|Canada|Brazil|Mexico|Chile"
)
_ABBREVIATIONS = "|".join(sorted([*FIXED_ZONES, *GENERIC_ZONES], key=lambda word: (-len(word), word)))
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_MONTH_NUMBERS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}  # fmt: skip

# The one scan over a text: a code span (`...`) or a web address is consumed whole (a time in it is not prose), else a
# clock time H:MM, HH:MM or HH:MM:SS (hours 0-23, minutes and seconds two digits: "3:1" is a ratio), not inside a
# word, a number, a version or a path ("v1.2:30", "T10:41"), with an optional am/pm ("9:30 a.m.").
_PROSE_SCAN = re.compile(
    r"`[^`]*`"
    r"|(?<![A-Za-z0-9+.\-])(?:[A-Za-z][A-Za-z0-9+.\-]{0,30}://|www\.)[^\s<>]*"
    r"|(?<![\w:./\\])(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])(?::(?P<s>[0-5][0-9]))?(?![0-9]|[:.,][0-9])"
    r"(?P<ampm>\s?[AaPp]\.?[Mm]\.?(?![A-Za-z]))?",
    re.S,
)
# A duration written as a clock reading: "1:30 hours", "0:45 min", "1:30h".
_DURATION_AFTER = re.compile(r"\s?(?:h|hrs?|hours?|mins?|minutes?)(?![A-Za-z])", re.I)
# The zone right after a time: "Z" (attached), or after one space and an optional "(": an IANA name
# (Europe/Berlin), UTC or GMT with an optional offset (UTC+2, GMT-05:30), a plus offset (+02:00, +0200; a minus
# offset only attached to a time with seconds, 10:41:00-05:00, since "10:00-11:00" is a range), or an abbreviation.
_ZONE_AFTER = re.compile(
    r"(?P<z>Z)(?![\w])"
    r"|(?P<gap>\s?)\(?"
    rf"(?:(?P<iana>(?:{_IANA_AREAS})/[A-Za-z][A-Za-z_+\-]*(?:/[A-Za-z][A-Za-z_\-]*)?)"
    r"|(?P<base>(?i:UTC|GMT))(?:\s?(?P<sign>[+\-\u2212])\s?(?P<oh>[0-9]{1,2})(?::?(?P<om>[0-9]{2}))?)?"
    r"|(?P<osign>[+\-\u2212])(?P<ph>[0-9]{2}):?(?P<pm>[0-9]{2})"
    rf"|(?P<abbr>{_ABBREVIATIONS}))(?![\w])"
)
# What joins the times of a range or a list, so that the zone of the last applies to all: "between 10:41 and
# 11:19 UTC", "10:41-11:19 UTC", "09:00, 12:00 and 15:00 UTC", "from 23:40 to 1 October 00:02 UTC".
_LINK = re.compile(
    r"\s*(?:-|\u2013|\u2014|to|and|until|till|through|or|,(?:\s*(?:and|or))?)\s*"
    r"(?:(?:about|around|approximately|approx\.|roughly|~)\s*)?"
    rf"(?:(?:on\s+)?[0-9]{{1,2}}\s+{_MONTH}(?:\s+[0-9]{{4}})?,?\s+(?:at\s+)?)?",
    re.I,
)
# A text may say once what zone its times are in: "All times are in UTC", "(times in CET)", "Times UTC".
_TIMES_IN = re.compile(r"\btimes\s+(?:are\s+)?(?:(?:given|shown|written|stated)\s+)?(?:in\b)?", re.I)
# Read only for a time that falls outside the span: a promise of the next update is no moment of the incident,
# a time dated another day ("on 2 September", "tomorrow") is not on the incident's days.
_PROMISE_BEFORE = re.compile(
    r"\bupdat(?:e|es|ing)\b[^.!?]{0,60}\b(?:by|at|around|before|no later than)\s+(?:about\s+|around\s+)?$", re.I
)
_DATE = rf"(?:(?P<d1>[0-9]{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})|(?P<m2>{_MONTH})\s+(?P<d2>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![0-9]))"
_DATE_AFTER = re.compile(rf"\s*,?\s*(?:on\s+)?(?:[A-Z][a-z]+day,?\s+)?{_DATE}", re.I)
_DATE_BEFORE = re.compile(
    rf"{_DATE}(?:,?\s+[0-9]{{4}})?,?\s+(?:(?:at|from|between|since|until|by|after|before|around|about)\s+)*$", re.I
)
_RELATIVE_DAY = re.compile(
    r"\s*,?\s*(?:tomorrow|yesterday|(?:on\s+)?the\s+(?:next|following|previous)\s+day|the\s+day\s+(?:before|after))",
    re.I,
)
_RELATIVE_DAY_BEFORE = re.compile(
    r"\b(?:tomorrow|yesterday)(?:\s+(?:morning|afternoon|evening|night))?,?\s+"
    r"(?:(?:at|from|between|by|until|around|about)\s+)*$",
    re.I,
)


@dataclass(frozen=True)
class ProseTime:
    """A clock time in a public text: as written, its time of day, and the zone written after it (or after the
    last time of its range), as written and as a tzinfo (None when not convertible: an ambiguous abbreviation)."""

    written: str
    clock: time
    start: int  # where the time (and the range it belongs to) begins in the text
    zone: str | None  # the zone as written (Z as UTC), None when there is none
    tz: tzinfo | None
    zone_end: int  # where the zone ends: a date may follow


def prose_times(text: str) -> list[ProseTime]:
    """The clock times of a public text (code spans and web addresses skipped, durations left out), each with
    the zone that follows it or the last time of its range."""
    if ":" not in text:
        return []
    found: list[tuple[re.Match[str], time, tuple[str, tzinfo | None, int] | None]] = []
    zone_end = 0
    for match in _PROSE_SCAN.finditer(text):
        hour = match["h"]
        if hour is None or match.start() < zone_end:  # a code span, an address, or the offset of a zone (+02:00)
            continue
        if match["ampm"] is None and _DURATION_AFTER.match(text, match.end()):
            continue
        clock_hour = int(hour)
        if match["ampm"] and 1 <= clock_hour <= 12:
            clock_hour = clock_hour % 12 + (12 if match["ampm"].strip()[0] in "pP" else 0)
        zone = _zone_after(text, match.end(), seconds=match["s"] is not None)
        if zone is not None:
            zone_end = zone[2]
        found.append((match, time(clock_hour, int(match["m"]), int(match["s"] or 0)), zone))
    times: list[ProseTime] = []
    following: ProseTime | None = None
    for match, clock, zone in reversed(found):
        if zone is not None:
            label, tz, end = zone
            entry = ProseTime(match[0].strip(), clock, match.start(), label, tz, end)
        elif following is not None and _joins(text, match.end(), following.start):
            entry = ProseTime(match[0].strip(), clock, match.start(), following.zone, following.tz, following.zone_end)
        else:
            entry = ProseTime(match[0].strip(), clock, match.start(), None, None, match.end())
        times.append(entry)
        following = entry
    times.reverse()
    if any(entry.zone is None for entry in times) and (declared := _declared_zone(text)) is not None:
        label, tz, _ = declared  # "All times are in UTC": the times without a zone of their own are in it
        times = [entry if entry.zone else replace(entry, zone=label, tz=tz) for entry in times]
    for index in range(1, len(times)):  # a range begins where its first time does (a date before it is read there)
        previous = times[index - 1]
        if previous.zone_end == times[index].zone_end and previous.zone is not None:
            times[index] = replace(times[index], start=previous.start)
    return times


def _declared_zone(text: str) -> tuple[str, tzinfo | None, int] | None:
    for declaration in _TIMES_IN.finditer(text):
        if (zone := _zone_after(text, declaration.end(), seconds=False)) is not None:
            return zone
    return None


def _joins(text: str, end: int, next_start: int) -> bool:
    link = _LINK.match(text, end)
    return link is not None and link.end() == next_start


def _zone_after(text: str, end: int, *, seconds: bool) -> tuple[str, tzinfo | None, int] | None:
    match = _ZONE_AFTER.match(text, end)
    if match is None:
        return None
    close = match.end() + (text[match.end() : match.end() + 1] == ")")
    if match["z"]:
        return "UTC", UTC, match.end()
    if match["iana"]:
        return match["iana"], _named_zone(match["iana"]), close
    if match["base"]:
        label = match[0].strip().lstrip("(").strip()
        if match["sign"] is None:
            return label, UTC, close
        return label, _offset(match["sign"], match["oh"], match["om"]), close
    if match["osign"]:
        if match["osign"] != "+" and (match["gap"] or not seconds):
            return None  # "10:00 -11:00", "10:00-11:00": a range, not an offset
        return match[0].strip().lstrip("(").strip(), _offset(match["osign"], match["ph"], match["pm"]), close
    abbreviation = match["abbr"]
    if abbreviation in GENERIC_ZONES:
        return abbreviation, _named_zone(GENERIC_ZONES[abbreviation]), close
    minutes = FIXED_ZONES[abbreviation]
    return abbreviation, None if minutes is None else _fixed(minutes, abbreviation), close


def _offset(sign: str, hours: str, minutes: str | None) -> tzinfo | None:
    total = int(hours) * 60 + int(minutes or 0)
    if total > 14 * 60 or int(minutes or 0) > 59:
        return None
    return _fixed(total if sign == "+" else -total, None)


@functools.cache
def _fixed(minutes: int, name: str | None) -> tzinfo:
    if minutes == 0:
        return UTC
    return timezone(timedelta(minutes=minutes)) if name is None else timezone(timedelta(minutes=minutes), name)


@functools.cache
def _named_zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None  # a name the time zone database does not know: a zone, but not converted


@dataclass(frozen=True)
class _Span:
    """The incident's span (first start to last end, each exact or approximate) and the offsets its times are
    written in (the first is started_at's)."""

    start: datetime | None
    end: datetime | None
    offsets: tuple[timedelta, ...]


def _incident_span(data: Mapping[str, Any]) -> _Span:
    scheduled = data.get("scheduled") or {}
    impact = data.get("impact") or []
    starts = [data.get("started_at"), scheduled.get("start"), *(w.get("start") for w in impact)]
    ends = [data.get("resolved_at"), data.get("mitigated_at"), scheduled.get("end"), *(w.get("end") for w in impact)]
    start_times, end_times = _known_times(starts), _known_times(ends)
    offsets: list[timedelta] = []
    for moment in [*start_times, *end_times, *_known_times([u.get("at") for u in data.get("updates") or []])]:
        offset = moment.utcoffset()
        if offset is not None and offset not in offsets:
            offsets.append(offset)
    start = min(start_times) if start_times else None
    end = max(end_times) if end_times and data["status"] == "resolved" else None
    if start is not None and end is not None and end < start:
        end = None  # time-order says what is wrong
    return _Span(start, end, tuple(offsets))


def _known_times(values: list[Any]) -> list[datetime]:
    """The times among `values` known to the minute or approximately (a date only has no time of day)."""
    known = []
    for value in values:
        moment = parse_time(value)
        if moment is not None and not isinstance(moment, DateOnly):
            known.append(moment)
    return known


def _candidates(clock: time, tz: tzinfo, low: datetime, high: datetime) -> list[datetime]:
    """The instants `clock` in `tz` names on the days from `low` to `high` (both folds of a time that daylight
    saving time repeats)."""
    day, last = low.astimezone(tz).date(), high.astimezone(tz).date()
    instants = []
    while day <= last:
        local = datetime.combine(day, clock, tzinfo=tz)
        instants.append(local)
        if isinstance(tz, ZoneInfo):
            instants.append(local.replace(fold=1))
        day += timedelta(days=1)
    return instants


def _distance(moment: datetime, low: datetime, high: datetime) -> timedelta:
    return max(low - moment, moment - high, timedelta(0))


def _public_texts(data: Mapping[str, Any]) -> Iterator[tuple[list[str | int], str, bool, list[Any]]]:
    """Each public text: where it is, the text, whether it tells the incident's span, and the times that widen
    the span for it (an update's own time and the next update it promises)."""
    summary = data.get("summary") or {}
    for key, about_span in PUBLIC_SUMMARY_TEXTS:
        if summary.get(key):
            yield ["summary", key], summary[key], about_span, []
    for index, update in enumerate(data.get("updates") or []):
        if update.get("message"):
            yield (
                ["updates", index, "message"],
                update["message"],
                True,
                [update.get("at"), update.get("next_update_at")],
            )
    for index, window in enumerate(data.get("impact") or []):
        if window.get("public_description"):
            yield ["impact", index, "public_description"], window["public_description"], True, []


@incident_rule
def public_prose_times(doc: Document, context: Context) -> Iterator[Finding]:
    """Customers read the public tables in the report's time zone, and the public text beside them: a clock time
    there needs its zone (public-time-zone; live records only: a reconstructed or imported record quotes its
    sources' words), and a time with a zone should fall within the incident (public-time-outside)."""
    texts = [entry for entry in _public_texts(doc.data) if ":" in entry[1]]
    if not texts:
        return
    provenance = (doc.data.get("provenance") or {}).get("method") or "live"
    quoted = provenance != "live"
    span: _Span | None = None
    for where, text, about_span, widening in texts:
        said: set[str] = set()  # one finding per message and text: "18:00" twice is one fix
        for prose in prose_times(text):
            if prose.zone is None and not quoted:
                span = span or _incident_span(doc.data)
                if (message := _zone_message(prose, span, context)) not in said:
                    said.add(message)
                    yield at(doc, where, "public-time-zone", message, Severity.WARNING)
            elif prose.zone is not None and about_span and prose.tz is not None:
                span = span or _incident_span(doc.data)
                message = _outside(prose, text, span, _known_times(widening))
                if message and message not in said:
                    said.add(message)
                    yield at(doc, where, "public-time-outside", message, Severity.WARNING)


def _zone_message(prose: ProseTime, span: _Span, context: Context) -> str:
    report = _named_zone(context.report_zone) or UTC
    reference = span.start or span.end
    head = f"public text names {prose.written} without a time zone; readers see tables in {context.report_zone}"
    if reference is None or not span.offsets:  # no time of day in the record to read it against
        shown = prose.clock.strftime("%H:%M:%S" if prose.clock.second else "%H:%M")
        return f"{head}: write it with its zone ('{shown} UTC' if it is UTC)"
    low, high = span.start or reference, span.end or reference
    best: tuple[timedelta, datetime, timedelta] | None = None
    for offset in span.offsets:
        for instant in _candidates(prose.clock, _fixed(int(offset.total_seconds()) // 60, None), low, high):
            distance = _distance(instant, low, high)
            if best is None or distance < best[0]:
                best = (distance, instant, offset)
    assert best is not None
    _, instant, offset = best
    suggestion = _clock_text(prose.clock, instant, report)
    if instant.astimezone(report).utcoffset() == offset:
        return f"{head}: write '{suggestion}'"
    return f"{head}: write '{suggestion}' (if it is {prose.written} at {_offset_text(offset)}, as the record's times are written)"


def _clock_text(clock: time, instant: datetime, zone: tzinfo) -> str:
    local = instant.astimezone(zone)
    shown = local.strftime("%H:%M:%S" if clock.second else "%H:%M")
    return f"{shown} {_zone_label(local)}"


def _zone_label(local: datetime) -> str:
    name = local.tzname() or ""
    if name in FIXED_ZONES or name == "UTC":
        return name
    return "UTC" + _offset_text(local.utcoffset() or timedelta(0))


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _outside(prose: ProseTime, text: str, span: _Span, widening: list[datetime]) -> str:
    """The message when a time with a zone falls outside the incident's span on every day of it, or ""."""
    assert prose.tz is not None
    if span.start is None or span.end is None:
        return ""  # still open, or its times are not known: any time of day may lie within it
    low, high = span.start, max([span.end, *widening])
    window_low, window_high = low - PROSE_TOLERANCE, high + PROSE_TOLERANCE
    candidates = _candidates(prose.clock, prose.tz, window_low, window_high)
    if any(window_low <= instant <= window_high for instant in candidates):
        return ""
    if (
        _PROMISE_BEFORE.search(text, max(0, prose.start - 100), prose.start)
        or _RELATIVE_DAY.match(text, prose.zone_end)
        or _RELATIVE_DAY_BEFORE.search(text, max(0, prose.start - 40), prose.start)
    ):
        return ""
    dated = _DATE_AFTER.match(text, prose.zone_end) or _DATE_BEFORE.search(text, max(0, prose.start - 40), prose.start)
    if dated and not _on_the_days(dated, prose.tz, window_low, window_high):
        return ""  # another day's time: a change before, work after
    return f"public text says {prose.written} {prose.zone}, outside the incident ({_span_text(low, high, prose)})"


def _on_the_days(dated: re.Match[str], tz: tzinfo, low: datetime, high: datetime) -> bool:
    day = int(dated["d1"] or dated["d2"])
    month = _MONTH_NUMBERS[(dated["m1"] or dated["m2"])[:3].lower()]
    first, last = low.astimezone(tz).date(), high.astimezone(tz).date()
    for year in range(first.year, last.year + 1):
        try:
            if first <= date(year, month, day) <= last:
                return True
        except ValueError:
            return False  # 31 February: not a date
    return False


def _span_text(low: datetime, high: datetime, prose: ProseTime) -> str:
    assert prose.tz is not None
    start, end = low.astimezone(prose.tz), high.astimezone(prose.tz)
    if start.date() == end.date():
        return f"{start:%H:%M}\u2013{end:%H:%M} {prose.zone} on {_day_text(start)}"
    return f"{start:%H:%M} {prose.zone} on {_day_text(start)} to {end:%H:%M} {prose.zone} on {_day_text(end)}"


def _day_text(moment: datetime) -> str:
    return f"{moment.day} {moment:%B}"


# --- service rules ------------------------------------------------------------------------------------------


@service_rule
def service_id_matches_file(doc: Document, _: Context) -> Iterator[Finding]:
    path = Path(doc.path)
    stem = path.stem
    if path.suffix != ".yaml" or path.parent.name != "services":
        yield at(doc, [], "service-id-filename", f"a service record is services/<id>.yaml, not {doc.path}")
    if doc.data["id"] != stem:
        yield at(doc, ["id"], "service-id-filename", f"id {doc.data['id']!r} must equal the file name {stem!r}")


@service_rule
def public_name_when_listed(doc: Document, _: Context) -> Iterator[Finding]:
    public = doc.data["public"]
    if public["listed"] and not public.get("name"):
        yield at(doc, ["public"], "public-name-required", "a service listed in the public report needs public.name")


@service_rule
def dependencies_exist(doc: Document, context: Context) -> Iterator[Finding]:
    for index, dependency in enumerate(doc.data.get("depends_on") or []):
        if dependency not in context.known_services:
            yield at(
                doc,
                ["depends_on", index],
                "unknown-service",
                f"depends on {dependency!r}, which has no file services/{dependency}.yaml",
            )
        elif dependency == doc.data["id"]:
            yield at(doc, ["depends_on", index], "dependency-cycle", "a service cannot depend on itself")


# A command written into a lever's prose: a span in backticks of two words or more (`flagctl set x off`).
_QUOTED_COMMAND = re.compile(r"`([^`\n]*\S\s+\S[^`\n]*)`")


@service_rule
def lever_command_not_in_prose(doc: Document, _: Context) -> Iterator[Finding]:
    """A lever written before levers had `command` keeps its command inside `how`, where the runbook shows it as
    prose: no code block, no copy button, the explanation pasted with it."""
    for index, lever in enumerate(doc.data.get("containment_levers") or []):
        quoted = _QUOTED_COMMAND.search(lever.get("how") or "")
        if lever.get("command") or quoted is None:
            continue
        yield at(
            doc,
            ["containment_levers", index, "how"],
            "lever-command-in-how",
            f"containment lever {lever.get('name')!r}: how holds a command (`{quoted.group(1)}`); put it alone in"
            " command, so that the runbook shows it in a code block with a copy button, and keep how for the words",
            Severity.WARNING,
        )


def check_service_graph(docs: list[Document], known: set[str]) -> Iterator[Finding]:
    """Dependency cycles make blast radius and escalation ambiguous: report each service on a cycle once."""
    graph = {doc.data["id"]: [d for d in doc.data.get("depends_on") or [] if d in known] for doc in docs}
    by_id = {doc.data["id"]: doc for doc in docs}
    for service_id, doc in by_id.items():
        if _reaches(graph, service_id, service_id):
            yield at(
                doc, ["depends_on"], "dependency-cycle", f"{service_id!r} depends on itself through its dependencies"
            )


def _reaches(graph: dict[str, list[str]], start: str, target: str) -> bool:
    seen: set[str] = set()
    stack = [d for d in graph.get(start, []) if d != start]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, []))
    return False


def check_unique_ids(reported: list[IdUse], others: list[Document]) -> Iterator[Finding]:
    """The first file (by path; files outside the selection first) owns an id; later users are reported."""
    owners: dict[str, str] = {}
    for doc in sorted(others, key=lambda d: d.path):
        if isinstance(doc.data.get("id"), str):  # a file that does not pass the schema is reported on its own
            owners.setdefault(doc.data["id"], doc.path)
    for use in sorted(reported, key=lambda u: u.path):
        if use.id in owners:
            yield finding(
                use.path, use.line, use.column, "id-unique", f"id {use.id} is already used by {owners[use.id]}"
            )
        else:
            owners[use.id] = use.path
