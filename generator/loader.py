"""Strict YAML loading with line marks: the ground every other step stands on.

PyYAML is permissive in ways that lose data: it keeps the last of two duplicate keys, turns `no` into False,
`12:30` into 750 and `2026-10-14` into a date. This loader composes the node tree with libyaml (fast, and it
keeps every node's line and column) and converts it itself, with YAML 1.2 core-schema typing (timestamps stay
strings exactly as written), duplicate keys rejected, only the core tags, and bounds on size, nesting and alias
expansion. Every error is a Finding that points at a line and column.
"""

from __future__ import annotations

import re
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


def load_document(path: Path | str, display_path: str | None = None) -> Document:
    """Load one YAML file whose top level must be a mapping, or raise LoadError."""
    shown = display_path or str(path)
    raw = Path(path).read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise _error(shown, 1, 1, "file-too-large", f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    text = decode_record(raw, shown)
    return parse_document(text, shown)


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
                    mark = event.start_mark
                    raise _error(
                        shown, mark.line + 1, mark.column + 1, "nesting-limit", f"nested deeper than {MAX_DEPTH} levels"
                    )
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
    return _error(
        shown, line, column, "encoding", f"the control character U+{ord(character):04X} is not allowed in YAML"
    )


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
            return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
        if tag == _FLOAT:
            return float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))
        raise self._at(node, "yaml-tag", f"tag {tag!r} is not allowed; write the value as plain text")

    def _at(self, node: yaml.Node, rule: str, message: str) -> LoadError:
        return _error(self.shown, node.start_mark.line + 1, node.start_mark.column + 1, rule, message)


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
