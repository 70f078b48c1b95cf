"""Strict YAML loading with line marks: the ground every other step stands on.

PyYAML is permissive in ways that lose data: it keeps the last of two duplicate keys, turns `no` into False,
`12:30` into 750 and `2026-10-14` into a date. This loader composes the node tree with libyaml (fast, and it
keeps every node's line and column) and converts it itself, with YAML 1.2 core-schema typing (timestamps stay
strings exactly as written), duplicate keys rejected, only the core tags, bounds on size, nesting and alias
expansion, numbers a record can hold (no infinity, no NaN, 64-bit integers) and text that is only text (no
control characters but tab and newline, no bidirectional overrides), in keys and values alike. Every error is a
Finding that points at a line and column.
"""

from __future__ import annotations

import math
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.findings import Finding, Severity

try:  # libyaml's C parser is about ten times faster; fall back to the pure-Python one where it is missing.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_EXPANDED_NODES = 50_000  # nodes visited while converting, aliases counted each time (billion laughs)
# libyaml's composer recurses in C and crashes on very deep nesting, so a file with many nesting indicators has
# its depth checked on the event stream (no recursion) before it is composed.
_NESTING_INDICATORS = ("[", "{", "- ", "-\n", "-\t", "? ", "?\n")
_NESTING_SCAN_THRESHOLD = 1500
_LIBYAML_DEPTH_ERROR = "exceeded maximum nesting depth"

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

# The YAML 1.2 core schema: everything that is not one of these is a string.
_CORE_PLAIN = re.compile(
    r"(?P<null>~|null|Null|NULL|)"
    r"|(?P<bool>true|True|TRUE|false|False|FALSE)"
    r"|(?P<int>[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)
_CORE_PLAIN_FIRST = frozenset("~nNtTfF0123456789+-.")  # how anything _CORE_PLAIN matches can begin
_PLAIN_TAGS = {"null": _NULL, "bool": _BOOL, "int": _INT, "float": _FLOAT}
_KEY_TAGS = frozenset((_STR, _INT, _BOOL, _NULL, _FLOAT))
_TYPE_OF_TAG = {tag: name for name, tag in _PLAIN_TAGS.items()}
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # what every consumer of the data (JSON tools, databases) holds exactly
_INT_DIGITS = len(str(_INT_MAX))

# What record text may not hold, once YAML escapes are resolved (docs/policy.md, control-character): C0 controls
# but tab and newline (so an escaped "\r" too: YAML itself turns CRLF line breaks into "\n"), DEL, C1 controls,
# lone surrogates, the noncharacters U+FFFE and U+FFFF (none of these is allowed in XML: feed.xml and the SVG
# charts would break), and the bidirectional embeddings, overrides and isolates, which make text display in
# another order than it is stored.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# How one of those can get into a value: by an escape of a double-quoted scalar that can make one (\e, \x1b,
# \u202e, ...), or as a bidirectional control written raw (YAML's reader refuses every other one written raw).
# Files with neither, almost all of them, are not walked (a test of the text costs 1/1000 of the walk).
_ESCAPE = re.compile(r"\\[0abvfreNxuU]")
_BIDI_CONTROLS = tuple(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))


class _CoreSchemaLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """libyaml's composer with YAML 1.2 core-schema resolution instead of YAML 1.1's."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0] and (not value or value[0] in _CORE_PLAIN_FIRST):  # most scalars are words: skip the regex
                match = _CORE_PLAIN.fullmatch(value)
                return _PLAIN_TAGS[match.lastgroup] if match else _STR  # type: ignore[index]
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


class LoadError(Exception):
    """A file could not be loaded; `finding` says where and why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass(frozen=True)
class Record:
    """A loaded file's path and plain JSON-compatible data: all the model needs once the file is validated."""

    path: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Document(Record):
    """A loaded YAML file with the node tree that knows every value's position (what findings point at)."""

    root: yaml.MappingNode

    def record(self) -> Record:
        """The data without the node tree, which is ten times its size."""
        return Record(self.path, self.data)

    def locate(self, json_path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value at `json_path` (of its key if `key`), or of its nearest parent."""
        return locate(self.root, json_path, key=key)


def locate(root: yaml.Node, json_path: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
    node: yaml.Node = root
    key_node: yaml.Node | None = None
    for part in json_path:
        child = _child(node, part)
        if child is None:
            break
        key_node, node = child
    target = key_node if key and key_node is not None else node
    return target.start_mark.line + 1, target.start_mark.column + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part:
                return key_node, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def load_document(path: Path | str, display_path: str | None = None, *, inside: Path | str | None = None) -> Document:
    """Load one YAML file whose top level must be a mapping, or raise LoadError. With `inside`, a file that is,
    or links to, anything outside that folder is refused unread."""
    shown = display_path or str(path)
    return parse_document(decode_record(read_record(path, shown, inside=inside), shown), shown)


def read_record(path: Path | str, shown: str, *, inside: Path | str | None = None) -> bytes:
    """The bytes of a record file, read only if it is a regular file (inside `inside`, when given) and at most
    MAX_FILE_BYTES long: a pull request may add a link to a secret, a FIFO that never ends or /dev/zero."""
    path = os.fspath(path)
    if inside is not None and not _is_within(os.path.realpath(path), os.path.realpath(inside)):
        raise _error(shown, 1, 1, "outside-repository", "links to a file outside the knowledge base; it was not read")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW refuses a link swapped in meanwhile.
        descriptor = os.open(path, _READ_FLAGS) if inside is None else os.open(os.path.realpath(path), _CONFINED)
    except OSError as exc:
        raise _error(shown, 1, 1, "unreadable", f"cannot be read: {exc.strerror}") from None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise _error(shown, 1, 1, "not-a-file", "is not a regular file (a device, FIFO or socket); it was not read")
        raw = file.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        size = os.path.getsize(path)
        raise _error(shown, 1, 1, "file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    return raw


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_CONFINED = _READ_FLAGS | getattr(os, "O_NOFOLLOW", 0)


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(os.path.join(folder, ""))


def parse_document(text: str, shown: str) -> Document:
    """Parse YAML text (already decoded) into a Document, or raise LoadError."""
    if sum(text.count(s) for s in _NESTING_INDICATORS) > _NESTING_SCAN_THRESHOLD:
        _check_nesting(text, shown)
    try:
        loader = _CoreSchemaLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, shown) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, shown) from None
    if root is None:
        raise _error(shown, 1, 1, "not-a-mapping", "the file is empty; a record is a mapping of keys to values")
    if not isinstance(root, yaml.MappingNode):
        line, column = root.start_mark.line + 1, root.start_mark.column + 1
        raise _error(shown, line, column, "not-a-mapping", "the top level must be a mapping of keys to values")
    data = _Converter(shown).convert(root, 0)
    if ("\\" in text and _ESCAPE.search(text)) or (not text.isascii() and any(c in text for c in _BIDI_CONTROLS)):
        _check_text(root, shown)
    return Document(shown, data, root)


def decode_record(raw: bytes, shown: str) -> str:
    """UTF-8 text of a record file (a BOM dropped), or a LoadError that points at the first bad byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1  # characters, not bytes
        raise _error(
            shown, line, column, "encoding", f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        ) from None
    return text.removeprefix("\ufeff")


def _check_nesting(text: str, shown: str) -> None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_CoreSchemaLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth - 1 > MAX_DEPTH:  # the same count as the converter: the top-level mapping is depth 0
                    line, column = (
                        (event.start_mark.line + 1, event.start_mark.column + 1) if event.start_mark else (1, 1)
                    )
                    raise _error(shown, line, column, "nesting-limit", f"nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, shown) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, shown) from None


def _reader_error(exc: yaml.reader.ReaderError, text: str, shown: str) -> LoadError:
    """YAML forbids most control characters in a file; say which one and where."""
    position = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return _error(shown, line, column, "control-character", f"the file holds {_not_text(character)}")


def _check_text(root: yaml.MappingNode, shown: str) -> None:
    """Raise a LoadError at the first key or scalar (in document order) that holds a character that is not text.

    Run after the converter, whose limits (nesting, alias expansion) bound this walk; a node an alias repeats is
    checked once, where its anchor is."""
    stack: list[tuple[yaml.Node, tuple[str | int, ...], bool]] = [(root, (), False)]
    seen: set[int] = set()
    while stack:
        node, where, is_key = stack.pop()
        if node.__class__ is yaml.ScalarNode:
            found = _NOT_TEXT.search(node.value)
            if found:
                holder = f"{_path_text(where)}: a key" if is_key else _path_text(where)
                line, column = node.start_mark.line + 1, node.start_mark.column + 1
                raise _error(shown, line, column, "control-character", f"{holder} holds {_not_text(found.group())}")
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.__class__ is yaml.MappingNode:
            for key_node, value_node in reversed(node.value):
                stack.append((value_node, (*where, key_node.value), False))
                stack.append((key_node, where, True))
        else:
            stack.extend((item, (*where, index), False) for index, item in reversed(list(enumerate(node.value))))


def text_problem(text: str) -> str | None:
    """Why `text` cannot be record text, as a `control-character` finding says it (`U+001B, a control character
    ...`), or None: for whatever writes records (`incidentkb new --title`) to refuse what the loader would."""
    found = _NOT_TEXT.search(text)
    return _not_text(found.group()) if found else None


def _not_text(character: str) -> str:
    """The code point (never the character itself) and why it is not text: U+001B, a control character."""
    code = ord(character)
    name = unicodedata.name(character, "")
    point = f"U+{code:04X} ({name})" if name else f"U+{code:04X}"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"{point}, a bidirectional control, which makes text display in another order than it is stored"
    if 0xD800 <= code <= 0xDFFF:
        return f"{point}, a lone surrogate (half of a character), which is not text"
    if code in (0xFFFE, 0xFFFF):
        return f"{point}, a noncharacter, which is not text"
    return f"{point}, a control character (text may hold tab and newline, no other control character)"


def _path_text(where: Sequence[str | int]) -> str:
    """`impact[0].service`, as schema findings name a value."""
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


class _Converter:
    """Turns a node tree into plain Python values, enforcing the rules PyYAML's constructor does not."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.visited = 0

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self._visit(node)
        tag = node.tag
        if node.__class__ is yaml.ScalarNode:
            return self._scalar(node, tag)
        if depth > MAX_DEPTH:  # the top-level mapping is depth 0; only collections nest
            raise self._at(node, "nesting-limit", f"nested deeper than {MAX_DEPTH} levels")
        if tag == _MAP and node.__class__ is yaml.MappingNode:
            return self._mapping(node, depth)
        if tag == _SEQ and node.__class__ is yaml.SequenceNode:
            return [self.convert(item, depth + 1) for item in node.value]
        raise self._at(node, "yaml-tag", f"tag {tag!r} is not allowed; records hold plain mappings, lists and scalars")

    def _visit(self, node: yaml.Node) -> None:
        self.visited += 1
        if self.visited > MAX_EXPANDED_NODES:
            raise self._at(node, "alias-limit", f"aliases expand to more than {MAX_EXPANDED_NODES:,} values")

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not yaml.ScalarNode or key_node.tag not in _KEY_TAGS:
                raise self._at(key_node, "key-type", "a key must be a plain word, not a list, mapping or tagged value")
            key = key_node.value
            if key in result:
                first = next(k for k, _ in node.value if k.value == key)
                raise self._at(
                    key_node,
                    "duplicate-key",
                    f"duplicate key {key!r} (first defined on line {first.start_mark.line + 1})",
                )
            if value_node.__class__ is yaml.ScalarNode and value_node.tag == _STR:  # most values: inlined for speed
                self._visit(value_node)
                result[key] = value_node.value
            else:
                result[key] = self.convert(value_node, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, tag: str) -> Any:
        value = node.value
        if tag == _STR:
            return value
        if tag in _TYPE_OF_TAG:  # an explicit `!!int twelve` must still look like an int
            match = _CORE_PLAIN.fullmatch(value)
            if not match or match.lastgroup != _TYPE_OF_TAG[tag]:
                raise self._at(node, "yaml-tag", f"{value!r} is not a valid {_TYPE_OF_TAG[tag]} for tag {tag!r}")
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value in ("true", "True", "TRUE")
        if tag == _INT:
            return self._integer(node, value)
        if tag == _FLOAT:
            number = float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))
            if not math.isfinite(number):
                raise self._at(node, "yaml-number", _not_finite(value))
            return number
        raise self._at(node, "yaml-tag", f"tag {tag!r} is not allowed; write the value as plain text")

    def _integer(self, node: yaml.ScalarNode, value: str) -> int:
        number: int | None
        if value[:2] in ("0o", "0x"):
            number = int(value, 0)  # a power-of-two base has no digit limit, and is read in linear time
        elif len(value) > _INT_DIGITS:  # int() refuses more than 4,300 digits (a ValueError), in quadratic time
            digits = value.lstrip("+-").lstrip("0") or "0"
            number = None if len(digits) > _INT_DIGITS else -int(digits) if value[0] == "-" else int(digits)
        else:
            number = int(value)
        if number is None or not _INT_MIN <= number <= _INT_MAX:
            written = value if len(value) <= 40 else f"an integer of {len(value):,} characters"
            raise self._at(
                node, "yaml-number", f"{written} is out of range: an integer lies between {_INT_MIN} and {_INT_MAX}"
            )
        return number

    def _at(self, node: yaml.Node, rule: str, message: str) -> LoadError:
        return _error(self.shown, node.start_mark.line + 1, node.start_mark.column + 1, rule, message)


def _not_finite(value: str) -> str:
    if value.lstrip("+-").startswith("."):  # .inf, -.Inf, .nan
        what = "NaN" if "nan" in value.lower() else "infinity"
        return (
            f"{value} is {what}: infinity and NaN are not numbers a record can hold; write a number, or quote "
            "the value to keep it as text"
        )
    return f"{value} is too large: it overflows to infinity, which is not a number a record can hold"


def _yaml_error(exc: yaml.MarkedYAMLError, shown: str) -> LoadError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    if _LIBYAML_DEPTH_ERROR in problem:
        # libyaml from 0.2.6 (PyYAML 6.0.3 and later) stops at 1,000 levels itself, before our event scan reaches
        # MAX_DEPTH: the same finding as ours, at the line it names.
        return _error(shown, line, column, "nesting-limit", f"nested deeper than {MAX_DEPTH} levels")
    if "expected a single document" in f"{problem} {exc.context}":
        return _error(shown, line, column, "multiple-documents", "a record file holds exactly one YAML document")
    context = f" ({exc.context})" if exc.context else ""
    return _error(shown, line, column, "yaml-syntax", f"{problem}{context}")


def _error(shown: str, line: int, column: int, rule: str, message: str) -> LoadError:
    return LoadError(Finding(shown, line, column, Severity.ERROR, rule, message))
