"""`incidentkb import csv FILE --map MAPPING`: a spreadsheet of incidents, read through a mapping file.

The mapping (schemas/csv-mapping.schema.json describes it) names the sheet's system, the column that identifies a
row, and which column holds which of our fields. Both functions are pure: `load_mapping` gets the mapping's text,
`translate` the CSV's text, and neither reads a file. A row becomes an incident with only what its cells hold: an
empty cell is null, a value that cannot be used is null too, and each such value is one line of `unmapped`, named
by its row as a spreadsheet numbers rows (the header is row 1), so a person can find it in the sheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import PurePath
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.findings import Finding, Severity
from generator.importers import (
    SourceError,
    SourceRecord,
    Translation,
    imported_provenance,
    imported_service,
    service_id_for,
)
from generator.loader import LoadError, parse_document, text_problem
from generator.schemas import NO_TAXONOMIES, Taxonomies, compiled_validator, effective_schema, load_schema, resolve
from generator.validate import schema_findings
from generator.vocabulary import PHASES

MAPPING_KIND = "csv-mapping"  # schemas/csv-mapping.schema.json
UNASSIGNED = "Unassigned"  # the service of a row that names none: an incident names at least one
NO_IMPACT = "none"  # the impact level that means "customers saw nothing": no impact windows


class _Field(NamedTuple):
    """A field a mapping can fill: how its cells are read, and where its value lives in the incident schema."""

    kind: str  # text, time, choice (an enum), list or url
    where: tuple[str, ...]  # property names from the schema's top, through arrays' items


# The mapping schema's field names (fields.properties), in the incident schema's order.
FIELDS: dict[str, _Field] = {
    "title": _Field("text", ("title",)),
    "severity": _Field("choice", ("severity",)),
    "status": _Field("choice", ("status",)),
    "kind": _Field("choice", ("kind",)),
    "services": _Field("list", ("services",)),
    "started_at": _Field("time", ("started_at",)),
    "detected_at": _Field("time", ("detected_at",)),
    "acknowledged_at": _Field("time", ("acknowledged_at",)),
    "mitigated_at": _Field("time", ("mitigated_at",)),
    "resolved_at": _Field("time", ("resolved_at",)),
    "scheduled.start": _Field("time", ("scheduled", "start")),
    "scheduled.end": _Field("time", ("scheduled", "end")),
    "impact_level": _Field("choice", ("impact", "level")),
    "impact_start": _Field("time", ("impact", "start")),
    "impact_end": _Field("time", ("impact", "end")),
    "summary.public": _Field("text", ("summary", "public")),
    "summary.public_cause": _Field("text", ("summary", "public_cause")),
    "summary.public_mitigation": _Field("text", ("summary", "public_mitigation")),
    "summary.public_prevention": _Field("text", ("summary", "public_prevention")),
    "summary.internal": _Field("text", ("summary", "internal")),
    "classification.category": _Field("choice", ("classification", "category")),
    "classification.rationale": _Field("text", ("classification", "rationale")),
    "detection.method": _Field("choice", ("detection", "method")),
    "detection.source": _Field("text", ("detection", "source")),
    "trigger.kind": _Field("choice", ("trigger", "kind")),
    "trigger.description": _Field("text", ("trigger", "description")),
    "root_cause.category": _Field("choice", ("root_cause", "category")),
    "root_cause.description": _Field("text", ("root_cause", "description")),
    "tags": _Field("list", ("tags",)),
    "url": _Field("url", ("provenance", "source", "url")),
}


# --- the mapping ----------------------------------------------------------------------------------------------


def load_mapping(text: str, shown: str, *, taxonomies: Taxonomies = NO_TAXONOMIES) -> dict[str, Any]:
    """The mapping file's data, or a SourceError that lists every problem as `shown:line:col: message`, one a line.

    `taxonomies` (incidentkb.yml's) are the values a knowledge base adds to our enums: a `values` target may name
    them too."""
    try:
        doc = parse_document(text.removeprefix("\ufeff"), shown)
    except LoadError as exc:
        raise SourceError(_finding_line(exc.finding)) from None
    findings = schema_findings(doc, MAPPING_KIND)
    for problem in mapping_problems(doc.data, taxonomies):
        line, column = doc.locate(problem.path, key=problem.at_key)
        findings.append(Finding(shown, line, column, Severity.ERROR, MAPPING_KIND, problem.message))
    if findings:
        raise SourceError("\n".join(_finding_line(f) for f in sorted(findings)))
    return doc.data


class Problem(NamedTuple):
    """What is wrong in a mapping beyond its schema, and where (at the key itself if `at_key`)."""

    path: list[str | int]
    message: str
    at_key: bool = False


def mapping_problems(data: Mapping[str, Any], taxonomies: Taxonomies = NO_TAXONOMIES) -> Iterator[Problem]:
    """What the schema cannot say: an unknown time zone, a time format that cannot be read back, a `values`
    target that is not one of our values, two words that differ only in case or spaces. Total over any data
    (the schema findings report wrong types)."""
    zone = data.get("time_zone")
    if isinstance(zone, str) and (message := _time_zone_problem(zone)):
        yield Problem(["time_zone"], message)
    time_format = data.get("time_format")
    if isinstance(time_format, str) and (message := _time_format_problem(time_format)):
        yield Problem(["time_format"], message)
    fields = data.get("fields")
    if isinstance(fields, Mapping):
        for name, entry in fields.items():
            if name in FIELDS and FIELDS[name].kind == "choice" and isinstance(entry, Mapping):
                yield from _values_problems(name, entry.get("values"), taxonomies)


def _values_problems(name: str, values: object, taxonomies: Taxonomies) -> Iterator[Problem]:
    if not isinstance(values, Mapping):
        return
    ours = choices(name, taxonomies)
    seen: dict[str, str] = {}
    for word, target in values.items():
        where: list[str | int] = ["fields", name, "values", word]
        if isinstance(target, str) and target not in ours:
            yield Problem(where, f"fields.{name}.values.{word}: {target!r} is not {_one_of(ours)} (or null)")
        folded = _fold(word)
        if folded in seen:
            yield Problem(where, f"fields.{name}.values: {word!r} is the same word as {seen[folded]!r}", at_key=True)
        seen.setdefault(folded, word)


def _time_zone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # not found; not a key (`../x`); a folder (`Europe`)
        return f"time_zone: unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC"
    return None


_SAMPLE_TIME = datetime(2026, 10, 14, 9, 12, 34, tzinfo=UTC)  # every field differs: a lost one shows


def _time_format_problem(time_format: str) -> str | None:
    """A strptime format must read back what it writes, and hold a whole date."""
    try:
        read_back = datetime.strptime(_SAMPLE_TIME.strftime(time_format), time_format)
    except ValueError as exc:
        return f"time_format: {time_format!r} is not a format strptime can read ({exc})"
    if read_back.date() != _SAMPLE_TIME.date():
        return f"time_format: {time_format!r} does not hold a whole date (day, month and year, e.g. %d.%m.%Y)"
    return None


def _format_has_time(time_format: str) -> bool:
    """Whether the format holds a time of day; one without (%d/%m/%Y) gives dates."""
    return datetime.strptime(_SAMPLE_TIME.strftime(time_format), time_format).time() != time(0)


def choices(name: str, taxonomies: Taxonomies = NO_TAXONOMIES) -> tuple[str, ...]:
    """Our values of a choice field (null left out), from the incident schema with the knowledge base's
    taxonomies; impact_level also has `none`, for no impact at all."""
    node = _schema_node(effective_schema("incident", taxonomies), FIELDS[name].where)
    values = tuple(value for value in node.get("enum", ()) if value is not None)
    return (*values, NO_IMPACT) if name == "impact_level" else values


@cache
def _limit(name: str) -> int | None:
    """The schema's maxLength of a text field."""
    limit = _schema_node(load_schema("incident"), FIELDS[name].where).get("maxLength")
    return limit if isinstance(limit, int) else None


def _schema_node(schema: dict[str, Any], where: Sequence[str]) -> dict[str, Any]:
    node = schema
    for part in where:
        if "properties" not in node and isinstance(node.get("items"), dict):
            node = resolve(schema, node["items"])
        node = resolve(schema, node["properties"][part])
    return node


def _finding_line(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.message}"


@dataclass(frozen=True)
class _Column:
    """A mapping entry: the column's name, and the sheet's words (trimmed, case-folded) with our values."""

    name: str
    values: Mapping[str, str | None] | None = None
    split: str | None = None


@dataclass(frozen=True)
class _Plan:
    """A mapping as translate uses it."""

    system: str
    source: str
    id_column: str
    zone: ZoneInfo | None
    time_format: str | None
    format_has_time: bool
    listed: bool
    columns: Mapping[str, _Column]  # by field name
    choices: Mapping[str, tuple[str, ...]]  # our values, by choice field

    @property
    def used_columns(self) -> set[str]:
        return {self.id_column, *(column.name for column in self.columns.values())}


def _plan(mapping: Mapping[str, Any], csv_name: str, taxonomies: Taxonomies) -> _Plan:
    _check_mapping(mapping, taxonomies)
    columns = {name: _column(entry) for name, entry in mapping["fields"].items()}
    time_format: str | None = mapping.get("time_format")
    return _Plan(
        system=mapping["system"],
        source=mapping.get("source") or PurePath(csv_name).stem,
        id_column=mapping["id_column"].strip(),
        zone=ZoneInfo(mapping["time_zone"]) if mapping.get("time_zone") else None,
        time_format=time_format,
        format_has_time=time_format is not None and _format_has_time(time_format),
        listed=bool((mapping.get("services") or {}).get("listed", False)),
        columns=columns,
        choices={name: choices(name, taxonomies) for name in columns if FIELDS[name].kind == "choice"},
    )


def _check_mapping(mapping: Mapping[str, Any], taxonomies: Taxonomies) -> None:
    """translate takes what load_mapping returned; anything else is refused rather than half used."""
    problems = [problem.message for problem in mapping_problems(mapping, taxonomies)]
    if not compiled_validator(MAPPING_KIND).is_valid(_plain(mapping)):
        problems.insert(0, "the mapping does not follow schemas/csv-mapping.schema.json (load_mapping says where)")
    if problems:
        raise SourceError("\n".join(problems))


def _plain(value: Any) -> Any:
    """Mappings as dicts: the compiled validator takes plain JSON values only."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _column(entry: str | Mapping[str, Any]) -> _Column:
    if isinstance(entry, str):
        return _Column(entry.strip())
    values = entry.get("values")
    words = {_fold(word): target for word, target in values.items()} if values is not None else None
    return _Column(entry["column"].strip(), words, entry.get("split"))


def _fold(word: str) -> str:
    return word.strip().casefold()


def _one_of(values: Sequence[str]) -> str:
    shown = [repr(value) for value in values]
    return shown[0] if len(shown) == 1 else f"one of {', '.join(shown[:-1])} or {shown[-1]}"


# --- the sheet ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sheet:
    header: list[str]  # the names, trimmed
    rows: list[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)


DELIMITERS = ",;\t|"  # what spreadsheets export: comma, semicolon (where the comma is the decimal sign), tab, bar
_SNIFF_SAMPLE = 64 * 1024


def _read_sheet(text: str, csv_name: str, wanted: set[str]) -> _Sheet:
    """The rows under the header, in the dialect whose header row holds the mapping's columns: csv.Sniffer's guess
    first, then each common delimiter (the sniffer can be misled by a delimiter inside the text of a cell)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise SourceError(f"{csv_name}: the file is empty; it needs a header row that names its columns")
    dialect = max(_dialects(text), key=lambda d: len(wanted & set(_header(text, d))))  # max keeps the first of ties
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header, *rows = list(reader)
    except csv.Error as exc:
        raise SourceError(f"{csv_name}: line {reader.line_num}: not readable as CSV: {exc}") from None
    return _Sheet([name.strip() for name in header], [(number, cells) for number, cells in enumerate(rows, start=2)])


def _dialects(text: str) -> list[type[csv.Dialect]]:
    """csv's standard dialect (quotes doubled inside quoted cells, as spreadsheets write them) with each
    delimiter, the sniffed one first."""
    try:
        sniffed = csv.Sniffer().sniff(text[:_SNIFF_SAMPLE], delimiters=DELIMITERS).delimiter
    except csv.Error:  # the sniffer gives up on a single column or an irregular sample
        sniffed = ","
    return [_dialect(delimiter) for delimiter in dict.fromkeys(sniffed + DELIMITERS)]


def _dialect(separator: str) -> type[csv.Dialect]:
    class Dialect(csv.excel):
        delimiter = separator
        strict = True  # an unclosed quote is an error, not the rest of the file read into one cell

    return Dialect


def _header(text: str, dialect: type[csv.Dialect]) -> list[str]:
    try:
        return [name.strip() for name in next(csv.reader(io.StringIO(text, newline=""), dialect), [])]
    except csv.Error:
        return []


def _check_header(sheet: _Sheet, plan: _Plan, csv_name: str) -> None:
    """Every column the mapping names is in the header row, once."""
    problems = []
    for field_name, column in (("id_column", _Column(plan.id_column)), *plan.columns.items()):
        found = [index + 1 for index, name in enumerate(sheet.header) if name == column.name]
        if not found:
            problems.append(f"{csv_name}: column {column.name!r} ({field_name}) is not in the header row")
        elif len(found) > 1:
            places = " and ".join(map(str, found))
            problems.append(f"{csv_name}: column {column.name!r} ({field_name}) is in the header row twice: {places}")
    if problems:
        names = ", ".join(repr(name) for name in sheet.header)
        raise SourceError("\n".join(dict.fromkeys(problems)) + f"\nthe header row's columns: {names}")


def _unused_columns(sheet: _Sheet, plan: _Plan, csv_name: str) -> Iterator[str]:
    """One line for each column the mapping does not use: its values go nowhere."""
    used = plan.used_columns
    for index, name in enumerate(sheet.header):
        if name in used:
            continue
        filled = sum(1 for _, cells in sheet.rows if index < len(cells) and cells[index].strip())
        count = f"{filled} non-empty cell{'s' if filled != 1 else ''}"
        if name:
            yield f"{csv_name}: column {name!r} is not in the mapping; its values are kept nowhere ({count})"
        elif filled:  # a nameless, empty column is only a spreadsheet's trailing separator
            yield f"{csv_name}: column {index + 1} has no name in the header row; its values are kept nowhere ({count})"


def _duplicate_ids(sheet: _Sheet, plan: _Plan, csv_name: str) -> None:
    """Two rows with one id stop the import: the id is how a later import finds the record again, and either row
    could be it."""
    index = sheet.header.index(plan.id_column)
    rows_of: dict[str, list[int]] = {}
    for number, cells in sheet.rows:
        key = cells[index].strip() if index < len(cells) else ""
        if key:
            rows_of.setdefault(key, []).append(number)
    problems = [
        f"{csv_name}: {plan.id_column} {key!r} is on rows {', '.join(map(str, numbers))}; each row needs its own id"
        for key, numbers in rows_of.items()
        if len(numbers) > 1
    ]
    if problems:
        raise SourceError("\n".join(problems))


# --- translating ----------------------------------------------------------------------------------------------


def translate(
    csv_text: str, csv_name: str, mapping: Mapping[str, Any], *, taxonomies: Taxonomies = NO_TAXONOMIES
) -> Translation:
    """The incidents of a CSV text (`csv_name` names it in messages and is the default source) and the services
    they name, read through a mapping from load_mapping. Raises SourceError when the sheet cannot be read as the
    mapping says: no header, a mapped column missing or twice in the header, two rows with one id."""
    plan = _plan(mapping, csv_name, taxonomies)
    sheet = _read_sheet(csv_text, csv_name, plan.used_columns)
    _check_header(sheet, plan, csv_name)
    _duplicate_ids(sheet, plan, csv_name)
    translation = Translation(system=plan.system, source=plan.source)
    translation.unmapped.extend(_unused_columns(sheet, plan, csv_name))
    if "services" not in plan.columns:
        translation.unmapped.append(f"{csv_name}: the mapping names no services column; every row is {UNASSIGNED!r}")
    services: dict[str, SourceRecord] = {}
    for number, cells in sheet.rows:
        if not any(cell.strip() for cell in cells):
            continue  # an empty row holds nothing to lose
        row = _Row(plan, csv_name, number, sheet.header, cells, translation.unmapped)
        if not row.key:
            translation.unmapped.append(f"{row.where}: the {plan.id_column} cell is empty; the row was skipped")
            continue
        record, names = row.incident()
        translation.incidents.append(SourceRecord(key=row.key, record=record))
        for name in names:
            services.setdefault(service_id_for(name), _service(plan, name))
    translation.services = list(services.values())
    return translation


def _service(plan: _Plan, name: str) -> SourceRecord:
    # The stand-in for rows without a service is never published under that name.
    return imported_service(plan.system, key=name, name=name, listed=plan.listed and name != UNASSIGNED)


_TITLE_LIMIT = _limit("title") or 160
_SERVICE_NAME_LIMIT = load_schema("service")["properties"]["name"]["maxLength"]
_URL = re.compile(r"https?://\S+")
_TAG_LIMIT = 64
# The time forms read without a time_format: a date, or a date and time with or without seconds, fraction and
# offset (2026-10-14 09:12, 2026-10-14T09:12:00.5+0200). Anything else (week dates, ordinal dates) is refused.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
_EXACT_TIME = re.compile(load_schema("incident")["$defs"]["exact_time"]["pattern"])  # kept exactly as written
_APPROXIMATE = re.compile(r"(?:about|~)\s*(?P<time>.+)", re.IGNORECASE)
_ISO_EXAMPLE = "ISO 8601 such as 2026-10-14T09:12:00+02:00, 2026-10-14 09:12 or 2026-10-14"


class _Row:
    """One row of the sheet, read through the plan; what cannot be used goes to `unmapped`, named by the row."""

    def __init__(
        self, plan: _Plan, csv_name: str, number: int, header: list[str], cells: list[str], unmapped: list[str]
    ) -> None:
        self.plan = plan
        self.cells = dict(zip(header, cells, strict=False))  # a short row's missing cells are empty
        self.key = self.cells.get(plan.id_column, "").strip()
        self.where = f"{csv_name} row {number}" + (f" ({plan.id_column} {self.key})" if self.key else "")
        self.unmapped = unmapped
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            self.report(f"{len(extra)} cell(s) beyond the header row's columns; their values are kept nowhere")

    def report(self, message: str) -> None:
        self.unmapped.append(f"{self.where}: {message}")

    def mapped(self, name: str) -> bool:
        return name in self.plan.columns

    # --- cells, by the kind of field -------------------------------------------------------------------------

    def cell(self, name: str) -> str | None:
        """The field's cell as text (line breaks as \\n, characters that are not text removed), or None if empty."""
        column = self.plan.columns[name].name
        text = self.cells.get(column, "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if problem := text_problem(text):  # a record cannot hold it (the loader refuses it): dropped, and said
            text = "".join(character for character in text if not text_problem(character)).strip()
            self.report(f"{name} in column {column!r} held {problem}; such characters were removed")
        return text or None

    def text(self, name: str) -> str | None:
        text = self.cell(name)
        limit = _limit(name)
        if text is not None and limit is not None and len(text) > limit:
            self.report(f"{name} is {len(text):,} characters long; cut to the schema's {limit:,}")
            text = _cut(text, limit)
        return text

    def time(self, name: str) -> str | dict[str, str] | None:
        cell = self.cell(name)
        if cell is None:
            return None
        value, problem = read_time(cell, self.plan)
        if problem:
            self.report(f"{name} {cell!r} in column {self.plan.columns[name].name!r} {problem}")
        return value

    def choice(self, name: str) -> str | None:
        """Our value for the cell: the mapping's word for it, or our own value written in any case."""
        cell = self.cell(name)
        if cell is None:
            return None
        words = self.plan.columns[name].values or {}
        ours = {value.casefold(): value for value in self.plan.choices[name]}
        if _fold(cell) in words:
            return words[_fold(cell)]
        if _fold(cell) in ours:
            return ours[_fold(cell)]
        if self.plan.columns[name].values is not None:
            self.report(f"{name} {cell!r} is not in the mapping's values")
        else:
            self.report(
                f"{name} {cell!r} in column {self.plan.columns[name].name!r} is not {_one_of(self.plan.choices[name])}"
            )
        return None

    def items(self, name: str) -> list[str]:
        cell = self.cell(name)
        if cell is None:
            return []
        separator = self.plan.columns[name].split
        parts = cell.split(separator) if separator else [cell]
        return list(dict.fromkeys(" ".join(part.split()) for part in parts if part.strip()))

    def value(self, name: str) -> Any:
        """The cell of a section's field (summary.internal, root_cause.category, ...), read by its kind."""
        readers = {"time": self.time, "choice": self.choice}
        return readers.get(FIELDS[name].kind, self.text)(name)

    # --- the record ------------------------------------------------------------------------------------------

    def incident(self) -> tuple[dict[str, Any], list[str]]:
        """The record (our fields, without id and written_on: the writer adds them) and its services' names."""
        title = self.title()
        severity = self.choice("severity") if self.mapped("severity") else None
        kind = (self.choice("kind") if self.mapped("kind") else None) or "incident"
        names = self.service_names()
        ids = list(dict.fromkeys(service_id_for(name) for name in names))
        phases = {phase: self.time(phase) for phase in PHASES if self.mapped(phase)}
        fields: dict[str, Any] = {
            "title": title,
            "severity": severity,
            "status": self.status(phases),
            "kind": kind,
            "services": ids,
            **phases,
            "provenance": imported_provenance(self.plan.system, self.key, url=self.url()),
            "impact": self.impact(ids, phases),
            **self.sections(),
        }
        if tags := self.tags():
            fields["tags"] = tags
        return {key: fields[key] for key in _RECORD_ORDER if key in fields}, names

    def title(self) -> str:
        cell = self.cell("title")
        if cell is None:
            self.report(f"title is empty; the row's id {self.key!r} stands in for it")
            return self.key[:_TITLE_LIMIT]
        title = " ".join(cell.split())  # a title is one line
        if len(title) > _TITLE_LIMIT:
            self.report(f"title is {len(title)} characters long; cut at a word to at most {_TITLE_LIMIT}")
            title = _cut(title, _TITLE_LIMIT)
        return title

    def status(self, phases: dict[str, Any]) -> str:
        """The sheet's status, else resolved if it was resolved, else investigating. A resolution time on a row
        that is not resolved is dropped: the record could not be valid with both, and the status is what the sheet
        says of the row."""
        status = self.choice("status") if self.mapped("status") else None
        if status is None:
            return "resolved" if phases.get("resolved_at") is not None else "investigating"
        if status != "resolved" and phases.get("resolved_at") is not None:
            column = self.plan.columns["resolved_at"].name
            self.report(
                f"status is {status!r} but column {column!r} holds {self.cell('resolved_at')!r}; resolved_at left null"
            )
            phases["resolved_at"] = None
        return status

    def service_names(self) -> list[str]:
        names = [_cut(name, _SERVICE_NAME_LIMIT) for name in self.items("services")] if self.mapped("services") else []
        if self.mapped("services") and not names:
            self.report(f"no service in column {self.plan.columns['services'].name!r}; filed under {UNASSIGNED!r}")
        return names or [UNASSIGNED]

    def impact(self, ids: list[str], phases: dict[str, Any]) -> list[dict[str, Any]]:
        """One window per service: the level, from impact_start (else started_at) to impact_end (else
        mitigated_at, else resolved_at). No windows at all when the sheet says there was no impact."""
        level = self.choice("impact_level") if self.mapped("impact_level") else None
        if level == NO_IMPACT:
            return []
        start = (self.time("impact_start") if self.mapped("impact_start") else None) or phases.get("started_at")
        end = (self.time("impact_end") if self.mapped("impact_end") else None) or (
            phases.get("mitigated_at") or phases.get("resolved_at")
        )
        return [{"service": service, "level": level, "start": start, "end": end} for service in ids]

    def sections(self) -> dict[str, dict[str, Any]]:
        """summary, root_cause and the other sections from their mapped fields. summary always, with public null
        unless mapped (nothing internal is published by default); another section only if a cell fills it."""
        sections: dict[str, dict[str, Any]] = {"summary": {"public": None}}
        for name in self.plan.columns:
            section, dot, key = name.partition(".")
            if dot:
                sections.setdefault(section, {})[key] = self.value(name)
        return {
            name: values
            for name, values in sections.items()
            if name == "summary" or any(value is not None for value in values.values())
        }

    def url(self) -> str | None:
        cell = self.cell("url") if self.mapped("url") else None
        if cell is None:
            return None
        if not _URL.fullmatch(cell) or len(cell) > 2000:
            self.report(f"url {cell!r} in column {self.plan.columns['url'].name!r} is not an http(s) address; left out")
            return None
        return cell

    def tags(self) -> list[str]:
        tags: dict[str, None] = {}
        for item in self.items("tags") if self.mapped("tags") else []:
            tag = re.sub(r"[^a-z0-9]+", "-", item.lower()).strip("-")[:_TAG_LIMIT].rstrip("-")
            if tag:
                tags[tag] = None
            else:
                self.report(f"tag {item!r} has no letter or digit; left out")
        return list(tags)


_RECORD_ORDER = tuple(load_schema("incident")["properties"])


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word where there is one in the second half, marked with '…'."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + "…"


# --- times ----------------------------------------------------------------------------------------------------


def read_time(cell: str, plan: _Plan) -> tuple[str | dict[str, str] | None, str | None]:
    """A cell as our time (exact, a date or {about: ...}) or None, and what to report about it, if anything.

    With an offset a time is kept as written (if our schema takes it so); without one it gets the offset of the
    mapping's time zone at that moment."""
    approximate = _APPROXIMATE.fullmatch(cell)
    value, problem = _read_exact(approximate["time"].strip() if approximate else cell, plan)
    if approximate and isinstance(value, str) and len(value) > len("2026-10-14"):
        return {"about": value}, problem
    return value, problem


def _read_exact(text: str, plan: _Plan) -> tuple[str | None, str | None]:
    if plan.time_format:
        try:
            parsed = datetime.strptime(text, plan.time_format)
        except ValueError:
            pass  # not in the sheet's format: maybe ISO 8601
        else:
            return _moment(parsed, plan) if plan.format_has_time else _day(parsed.date())
    if _DATE.fullmatch(text):
        try:
            return _day(date.fromisoformat(text))
        except ValueError:
            return None, "is not a date"
    if _ISO_TIME.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text[:10] + text[10:].upper())  # fromisoformat refuses a lower-case z
        except ValueError as exc:  # 25:00, 23:59:60
            return None, f"is not a time: {exc}"
        if _EXACT_TIME.fullmatch(text):
            return text, None
        return _moment(parsed, plan)
    return None, f"is not a time: expected {_expected(plan)}"


def _expected(plan: _Plan) -> str:
    if plan.time_format:
        return f"{plan.time_format} (e.g. {_SAMPLE_TIME.strftime(plan.time_format)}) or {_ISO_EXAMPLE}"
    return _ISO_EXAMPLE


def _day(day: date) -> tuple[str | None, str | None]:
    if not 1970 <= day.year <= 2100:
        return None, "lies outside the years 1970 to 2100"
    return day.isoformat(), None


def _moment(parsed: datetime, plan: _Plan) -> tuple[str | None, str | None]:
    problem = None
    if parsed.tzinfo is None:
        if plan.zone is None:
            return None, "has no offset, and the mapping names no time_zone to read it in"
        localized, problem = localize(parsed, plan.zone)
        if localized is None:
            return None, problem
        parsed = localized
    if not 1970 <= parsed.year <= 2100:
        return None, "lies outside the years 1970 to 2100"
    return parsed.isoformat(), problem


def localize(naive: datetime, zone: ZoneInfo) -> tuple[datetime | None, str | None]:
    """A wall-clock time in `zone`, and what to report: a time the clocks skipped (spring forward) is None; one
    they passed twice (fall back) is the first of the two (fold=0)."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first, None
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:  # no instant shows this wall time
        return None, f"does not exist in {zone.key}: the clocks skipped it when daylight saving time began"
    return first, f"happened twice in {zone.key} (the clocks went back); read as the first, {first.isoformat()}"
