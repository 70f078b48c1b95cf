"""Property-based tests: valid records round-trip through YAML and validate; every structural mutation of a valid
record (a required key removed, a value of the wrong type, an unknown key) is rejected at the right place.

Records are drawn from the fixture records with their free-text fields replaced by arbitrary text, written with
`dump_yaml`, and checked with the real loader and validator on a real knowledge base. The schema walk below reads
the JSON Schema files directly, so it knows every object, required key and allowed type on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from support import (
    KB,
    SERVICES,
    dump_yaml,
    investigating_incident,
    load_schema,
    near_miss_incident,
    node_position,
    old_incident,
    resolve,
    service,
    sev1_incident,
)

from generator.loader import load_document
from generator.validate import ValidationResult

SCHEMAS = {kind: load_schema(kind) for kind in ("incident", "service")}
# No shrinking: a failure already names the record kind and the mutation (the drawn labels), and shrinking these
# large records can take minutes.
PROPERTIES = settings(max_examples=60, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))

Path_ = list[str | int]


def walk(schema: dict[str, Any], value: Any, node: dict[str, Any], path: Path_) -> Iterator[tuple[Path_, Any, dict]]:
    """Every value in a record with the (resolved) schema node that describes it."""
    node = resolve(schema, node)
    yield path, value, node
    if isinstance(value, dict):
        for key, child in value.items():
            yield from walk(schema, child, node["properties"][key], [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(schema, item, node["items"], [*path, index])


def get_at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def set_at(data: Any, path: Path_, value: Any) -> None:
    get_at(data, path[:-1])[path[-1]] = value


JSON_TYPES: list[tuple[str, Callable[[Any], bool]]] = [
    ("null", lambda v: v is None),
    ("boolean", lambda v: isinstance(v, bool)),
    ("integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    ("number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    ("string", lambda v: isinstance(v, str)),
    ("array", lambda v: isinstance(v, list)),
    ("object", lambda v: isinstance(v, dict)),
]
# One value of each JSON type (2.5 is a number that is not an integer).
REPLACEMENTS: list[Any] = [None, True, 7, 2.5, "text", ["x"], {"x": "y"}]


def allowed(value: Any, node: dict[str, Any]) -> bool:
    """Whether the schema node's type and enum admit `value` (its other keywords are not needed here)."""
    if "enum" in node and not any(type(value) is type(e) and value == e for e in node["enum"]):
        return False
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        return any(check(value) for name, check in JSON_TYPES if name in types)
    return True


def is_free_text(node: dict[str, Any]) -> bool:
    types = node.get("type")
    types = types if isinstance(types, list) else [types]
    return "string" in types and not {"pattern", "format", "enum"} & node.keys()


# --- strategies -------------------------------------------------------------------------------------------------

BASES: list[tuple[str, Callable[[], dict[str, Any]]]] = [
    ("incident", sev1_incident),
    ("incident", investigating_incident),
    ("incident", near_miss_incident),
    ("incident", old_incident),
    ("service", lambda: service("api")),
    ("service", lambda: service("web")),
]

# Text as the loader accepts it (docs/policy.md, control-character): no control characters but tab and newline,
# no surrogates, no U+FFFE or U+FFFF, no bidirectional controls; tests/test_hostile_text.py covers the refused ones.
TEXT_CHARACTERS = st.characters(
    exclude_categories=("Cc", "Cs"),
    include_characters="\t\n",
    exclude_characters="\ufffe\uffff" + "".join(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))),
)
texts = st.text(TEXT_CHARACTERS, min_size=1, max_size=24)


@st.composite
def records(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid record: a fixture record with some of its free-text values replaced by arbitrary text."""
    kind, make = draw(st.sampled_from(BASES))
    record = make()
    schema = SCHEMAS[kind]
    for path, value, node in list(walk(schema, record, schema, [])):
        if path and isinstance(value, str) and is_free_text(node) and draw(st.booleans()):
            set_at(record, path, draw(texts.filter(lambda s, n=node: len(s) <= n.get("maxLength", 160))))
    if kind == "incident" and "failure_boundary" in record:
        record["failure_boundary"]["customers_affected"] = draw(st.one_of(st.none(), st.integers(0, 10**15)))
    return kind, record


@pytest.fixture(scope="module")
def prop_kb(tmp_path_factory: pytest.TempPathFactory) -> KB:
    kb = KB(tmp_path_factory.mktemp("properties") / "kb")
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    (kb.root / "incidents").mkdir()
    return kb


@contextmanager
def written(kb: KB, kind: str, original: dict[str, Any], record: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Write `record` where `original` belongs, and put the knowledge base back afterwards."""
    if kind == "incident":
        day = original["started_at"][:10]
        path = kb.path(f"incidents/{day[:4]}/{day}-record.yaml")
    else:
        path = kb.path(f"services/{original['id']}.yaml")
    text = dump_yaml(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        yield path, text
    finally:
        if kind == "incident":
            path.unlink()
        else:
            path.write_text(dump_yaml(SERVICES[original["id"]]), encoding="utf-8")


def schema_errors_at(result: ValidationResult, position: tuple[int, int]) -> list[Any]:
    return [
        f
        for f in result.findings
        if f.rule == "schema" and f.severity.value == "error" and (f.line, f.column) == position
    ]


# --- properties ---------------------------------------------------------------------------------------------


@PROPERTIES
@given(drawn=records())
def test_valid_records_round_trip_and_validate(prop_kb: KB, drawn: tuple[str, dict[str, Any]]) -> None:
    kind, record = drawn
    with written(prop_kb, kind, record, record) as (path, _):
        assert load_document(path).data == record
        assert prop_kb.validate(path).findings == []


@PROPERTIES
@given(drawn=records(), data=st.data())
def test_removing_a_required_key_is_rejected(
    prop_kb: KB, drawn: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    kind, original = drawn
    schema = SCHEMAS[kind]
    record = json.loads(json.dumps(original))
    candidates = [
        (path, key)
        for path, value, node in walk(schema, record, schema, [])
        if isinstance(value, dict)
        for key in node.get("required", [])
    ]
    path, key = data.draw(st.sampled_from(candidates), label="removed")
    del get_at(record, path)[key]
    with written(prop_kb, kind, original, record) as (file, text):
        found = schema_errors_at(prop_kb.validate(file), node_position(text, path))
    assert any(key in f.message for f in found), found


@PROPERTIES
@given(drawn=records(), data=st.data())
def test_a_value_of_the_wrong_type_is_rejected(
    prop_kb: KB, drawn: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    kind, original = drawn
    schema = SCHEMAS[kind]
    record = json.loads(json.dumps(original))
    candidates = [
        (path, replacement)
        for path, _, node in walk(schema, record, schema, [])
        if path
        for replacement in REPLACEMENTS
        if not allowed(replacement, node)
    ]
    path, replacement = data.draw(st.sampled_from(candidates), label="replaced")
    set_at(record, path, replacement)
    with written(prop_kb, kind, original, record) as (file, text):
        assert schema_errors_at(prop_kb.validate(file), node_position(text, path))


@PROPERTIES
@given(drawn=records(), data=st.data())
def test_an_unknown_key_is_rejected_at_the_key(
    prop_kb: KB, drawn: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    kind, original = drawn
    schema = SCHEMAS[kind]
    record = json.loads(json.dumps(original))
    objects = [(path, node) for path, value, node in walk(schema, record, schema, []) if isinstance(value, dict)]
    path, node = data.draw(st.sampled_from(objects), label="object")
    key = data.draw(
        st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(lambda k: k not in node["properties"]),
        label="key",
    )
    get_at(record, path)[key] = data.draw(st.sampled_from(REPLACEMENTS), label="value")
    with written(prop_kb, kind, original, record) as (file, text):
        found = schema_errors_at(prop_kb.validate(file), node_position(text, [*path, key], key=True))
    assert any(repr(key) in f.message for f in found), found


def test_every_object_in_the_schemas_is_closed() -> None:
    """The unknown-key property relies on this: every object node says additionalProperties: false."""
    for kind, schema in SCHEMAS.items():
        stack: list[Any] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if "properties" in node:
                    assert node.get("additionalProperties") is False, (kind, sorted(node["properties"]))
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def test_fixture_records_cover_the_schema() -> None:
    """The mutations only reach what the fixture records contain: they use every top-level incident and service
    property, and every object's required keys."""
    used = {key for _, make in BASES[:4] for key in make()}
    assert used == set(SCHEMAS["incident"]["properties"])
    used = {key for _, make in BASES[4:] for key in make()}
    assert used == set(SCHEMAS["service"]["properties"])
