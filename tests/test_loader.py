"""The strict YAML loader: YAML 1.2 core-schema typing, positions, and the limits that keep hostile files out.

The rejection corpus (one file per loader rule) is run through the CLI in test_corpus.py; this module checks
typing and the edges of the limits through generator.loader.load_document on real files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import LOADER_RULES

from generator.loader import MAX_DEPTH, MAX_FILE_BYTES, Document, LoadError, load_document


def load_text(tmp_path: Path, text: str | bytes, name: str = "record.yaml") -> Document:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return load_document(path)


def load_error(tmp_path: Path, text: str | bytes) -> Any:
    with pytest.raises(LoadError) as caught:
        load_text(tmp_path, text)
    return caught.value.finding


# --- typing: YAML 1.2 core schema, timestamps kept as written ------------------------------------------------

TYPED_VALUES = [
    # YAML 1.1 booleans and sexagesimals are plain strings in YAML 1.2.
    ("no", "no"),
    ("yes", "yes"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("NO", "NO"),
    ("12:30", "12:30"),
    ("1:30:00", "1:30:00"),
    # Dates and timestamps stay strings, exactly as written.
    ("2026-10-14", "2026-10-14"),
    ("2026-10-14T09:12:00Z", "2026-10-14T09:12:00Z"),
    ("2026-10-14t09:12:00.500+02:00", "2026-10-14t09:12:00.500+02:00"),
    ("2026-10-14 09:12:00", "2026-10-14 09:12:00"),
    # Numbers of the core schema.
    ("0x1F", 31),
    ("0o17", 15),
    ("017", 17),  # decimal in YAML 1.2, octal in YAML 1.1
    ("+12", 12),
    ("-3", -3),
    ("1.5", 1.5),
    (".5", 0.5),
    ("1e3", 1000.0),
    ("-2.5E-1", -0.25),
    ("9223372036854775807", 2**63 - 1),  # the 64-bit range, edge included
    ("-9223372036854775808", -(2**63)),
    # Not numbers in the core schema.
    ("1_000", "1_000"),
    ("0b101", "0b101"),
    ("0x", "0x"),
    ("1.2.3", "1.2.3"),
    ("+0x1F", "+0x1F"),
    # Null and booleans.
    ("~", None),
    ("null", None),
    ("Null", None),
    ("", None),
    ("true", True),
    ("True", True),
    ("FALSE", False),
    # Quoting and !!str always give strings.
    ('"true"', "true"),
    ("'12'", "12"),
    ('"~"', "~"),
    ("!!str 0x1F", "0x1F"),
    ("'2026-10-14'", "2026-10-14"),
    # Merge keys are YAML 1.1: in 1.2 `<<` is an ordinary string.
    ("<<", "<<"),
]


@pytest.mark.parametrize(("written", "expected"), TYPED_VALUES, ids=[repr(w) for w, _ in TYPED_VALUES])
def test_core_schema_typing(tmp_path: Path, written: str, expected: Any) -> None:
    value = load_text(tmp_path, f"value: {written}\n").data["value"]
    assert type(value) is type(expected)
    assert value == expected


@pytest.mark.parametrize(
    ("written", "words"),
    [
        (".inf", ".inf is infinity: infinity and NaN are not numbers a record can hold"),
        ("-.Inf", "-.Inf is infinity"),
        (".NaN", ".NaN is NaN: infinity and NaN are not numbers a record can hold"),
        ("!!float .inf", ".inf is infinity"),
        ("1e999", "1e999 is too large: it overflows to infinity"),
        ("9223372036854775808", "9223372036854775808 is out of range"),
        ("-9223372036854775809", "-9223372036854775809 is out of range"),
        ("9" * 5000, "an integer of 5,000 characters is out of range"),  # int() would raise a ValueError
        ("0x" + "f" * 17, "is out of range"),
    ],
)
def test_numbers_a_record_cannot_hold_are_findings(tmp_path: Path, written: str, words: str) -> None:
    """Infinity and NaN are not JSON (jsonschema turns them into "null is not of type number") and no integer
    beyond 64 bits is held exactly by what reads the data: each is a finding at the value, saying what is wrong."""
    finding = load_error(tmp_path, f"id: INC-2026-900\nvalue: {written}\n")
    assert (finding.rule, finding.line, finding.column) == ("yaml-number", 2, 8)
    assert words in finding.message
    assert len(finding.message) < 200  # a 5,000-digit value is described, not echoed


def test_leading_zeros_do_not_make_an_integer_large(tmp_path: Path) -> None:
    """5,000 zeros and 42 is 42 (int() alone refuses more than 4,300 digits)."""
    assert load_text(tmp_path, "a: " + "0" * 5000 + "42\nb: -" + "0" * 5000 + "\n").data == {"a": 42, "b": 0}


def test_infinity_and_nan_quoted_are_text(tmp_path: Path) -> None:
    assert load_text(tmp_path, "a: '.inf'\nb: \".nan\"\nc: !!str .inf\n").data == {
        "a": ".inf",
        "b": ".nan",
        "c": ".inf",
    }


def test_keys_are_strings_as_written(tmp_path: Path) -> None:
    data = load_text(tmp_path, "no: a\non: b\n1: c\n12:30: d\n2026-10-14: e\nnull: f\n").data
    assert data == {"no": "a", "on": "b", "1": "c", "12:30": "d", "2026-10-14": "e", "null": "f"}


def test_record_values_keep_their_text(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        "started_at: 2026-10-14T09:12:00Z\ndue: 2026-10-14\ntags: [no, yes, on]\nnote: 12:30\ntier: 0x1F\n",
    )
    assert doc.data == {
        "started_at": "2026-10-14T09:12:00Z",
        "due": "2026-10-14",
        "tags": ["no", "yes", "on"],
        "note": "12:30",
        "tier": 31,
    }


def test_block_scalars_and_anchors(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "a: &x [1, two]\nb: *x\ntext: |\n  line one\n  line two\nfolded: >\n  one\n  two\n")
    assert doc.data == {"a": [1, "two"], "b": [1, "two"], "text": "line one\nline two\n", "folded": "one two\n"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [("!!int 42", 42), ("!!float 1.5", 1.5), ("!!bool true", True), ("!!null null", None), ("!!int 0x1F", 31)],
)
def test_explicit_core_tags(tmp_path: Path, written: str, expected: Any) -> None:
    value = load_text(tmp_path, f"value: {written}\n").data["value"]
    assert type(value) is type(expected) and value == expected


def test_explicit_core_tags_with_values_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    """`!!int twelve` is not an int: the loader must report it at the value (not crash with a ValueError, and
    not silently turn `!!bool yes` into False or `!!null x` into null)."""
    problems = []
    for written in ("!!int twelve", "!!int 0b101", "!!float fast", "!!bool yes", "!!null nothing"):
        try:
            doc = load_text(tmp_path, f"id: INC-2026-900\nvalue: {written}\n")
        except LoadError as exc:
            finding = exc.finding
            if (finding.line, finding.column) != (2, 8) or finding.rule not in LOADER_RULES:
                problems.append(f"{written}: reported as {finding}")
        except Exception as exc:
            problems.append(f"{written}: crashed with {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{written}: accepted as {doc.data['value']!r}")
    assert not problems, "\n".join(problems)


# --- positions ----------------------------------------------------------------------------------------------


def test_locate_values_keys_and_nearest_parent(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        "# comment\nid: INC-2026-900\nimpact:\n  - service: api\n    level: major_outage\nsummary: {public: x}\n",
    )
    assert doc.locate([]) == (2, 1)
    assert doc.locate(["id"]) == (2, 5)
    assert doc.locate(["impact"]) == (4, 3)
    assert doc.locate(["impact", 0]) == (4, 5)
    assert doc.locate(["impact", 0, "level"]) == (5, 12)
    assert doc.locate(["impact", 0, "level"], key=True) == (5, 5)
    assert doc.locate(["summary", "public"]) == (6, 19)
    assert doc.locate(["impact", 0, "missing"]) == (4, 5)  # nearest parent
    assert doc.locate(["impact", 7]) == (4, 3)


def test_crlf_line_endings_and_bom(tmp_path: Path) -> None:
    text = "\ufeffid: INC-2026-900\r\ntitle: one\r\nsummary:\r\n  public: x\r\n  public: y\r\n"
    finding = load_error(tmp_path, text)
    assert (finding.rule, finding.line, finding.column) == ("duplicate-key", 5, 3)
    assert "line 4" in finding.message
    doc = load_text(tmp_path, "\ufeffid: INC-2026-900\r\ntitle: one\r\n")
    assert doc.data == {"id": "INC-2026-900", "title": "one"}
    assert doc.locate(["title"]) == (2, 8)


def test_encoding_error_column_counts_characters(tmp_path: Path) -> None:
    """Columns count characters everywhere else (they come from libyaml); a bad byte after multi-byte UTF-8
    characters must be reported at its character column too, or editors and GitHub annotations point elsewhere."""
    prefix = "title: Crème brûlée "
    finding = load_error(tmp_path, b"id: INC-2026-900\n" + prefix.encode("utf-8") + b"\xff\n")
    assert finding.rule == "encoding"
    assert (finding.line, finding.column) == (2, len(prefix) + 1)


def test_control_characters_are_findings_not_crashes(tmp_path: Path) -> None:
    """A control character pasted into a record (an ANSI colour code from a terminal log, a NUL) is valid UTF-8
    but not allowed in YAML: it must become a finding at its position, not an uncaught ReaderError (which the
    CLI prints as a traceback)."""
    problems = []
    for char in ("\x00", "\x07", "\x1b", "\x7f", "\ufffe"):
        try:
            finding = load_error(tmp_path, f"id: INC-2026-900\ntitle: red {char}[31m alert\n")
        except Exception as exc:  # anything but LoadError escapes the validator
            problems.append(f"{char!r}: {type(exc).__name__}: {exc}".replace("\n", " "))
            continue
        if finding.rule not in LOADER_RULES or (finding.line, finding.column) != (2, len("title: red ") + 1):
            problems.append(f"{char!r}: reported as {finding}")
    assert not problems, "\n".join(problems)


# --- limits -------------------------------------------------------------------------------------------------


def test_file_size_limit_is_exact(tmp_path: Path) -> None:
    head = b"id: INC-2026-900\nnote: "
    at_limit = head + b"x" * (MAX_FILE_BYTES - len(head) - 1) + b"\n"
    assert len(at_limit) == MAX_FILE_BYTES
    assert load_text(tmp_path, at_limit).data["id"] == "INC-2026-900"
    finding = load_error(tmp_path, at_limit + b"\n")
    assert (finding.rule, finding.line, finding.column) == ("file-too-large", 1, 1)


def nested_list(levels: int, innermost: str) -> str:
    return "[" * levels + innermost + "]" * levels


def test_nesting_at_the_limit_is_allowed(tmp_path: Path) -> None:
    # The top-level mapping is one level, so a value may nest MAX_DEPTH - 1 lists.
    doc = load_text(tmp_path, f"id: INC-2026-900\ntags: {nested_list(MAX_DEPTH - 1, 'x')}\n")
    value = doc.data["tags"]
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == "x"


def test_nesting_limit_does_not_depend_on_file_size(tmp_path: Path) -> None:
    """Files with many nesting indicators are pre-scanned on the event stream (to protect libyaml); smaller ones
    are checked while converting. Both paths must accept and refuse the same values, at the same place: a long
    comment full of brackets must not change the verdict on the data."""
    padding = "# " + "[" * 2000 + "\n"
    differences = []
    for levels in range(MAX_DEPTH - 2, MAX_DEPTH + 3):
        for innermost in ("", "x"):
            body = f"id: INC-2026-900\ntags: {nested_list(levels, innermost)}\n"
            outcomes = []
            for text, first_line in ((body, 1), (padding + body, 2)):
                try:
                    load_text(tmp_path, text)
                    outcomes.append("accepted")
                except LoadError as exc:
                    f = exc.finding
                    outcomes.append(f"{f.rule} at line {f.line - first_line + 1}, column {f.column}")
            if outcomes[0] != outcomes[1]:
                differences.append(
                    f"{levels} lists around {innermost!r}: small file {outcomes[0]}, padded {outcomes[1]}"
                )
    assert not differences, "\n".join(differences)


def test_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    for opener in ("[", "{", "- "):
        finding = load_error(tmp_path, "id: INC-2026-900\nnote:\n  " + opener * 100_000 + "\n")
        assert finding.rule == "nesting-limit"
        assert finding.line == 3


def test_aliases_below_the_limit_expand(tmp_path: Path) -> None:
    doc = load_text(tmp_path, "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n")
    assert doc.data["b"] == [["x"] * 10] * 10


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    finding = load_error(tmp_path, "\n".join(lines) + "\n")
    assert finding.rule == "alias-limit"
