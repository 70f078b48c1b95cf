"""The JSON Schemas in `schemas/`: found, checked against their metaschema, compiled once.

The schema files are the single source of truth for field names, help texts and what is public (`x-public`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from generator.findings import BuildError

PUBLIC_MARK = "x-public"


def schema_dir() -> Path:
    """`schemas/` of the source tree; an installed wheel carries the same files as `generator/schemas/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "schemas", here / "schemas"):
        if (candidate / "incident.schema.json").is_file():
            return candidate
    raise BuildError(f"the schemas are missing: looked in {here.parent / 'schemas'} and {here / 'schemas'}")


def schema_path(kind: str) -> Path:
    return schema_dir() / f"{kind}.schema.json"


@cache
def load_schema(kind: str) -> dict[str, Any]:
    """The schema of a record kind, checked against the draft 2020-12 metaschema first."""
    path = schema_path(kind)
    schema = json.loads(path.read_text(encoding="utf-8"))
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise BuildError(f"{path}: the schema itself is invalid at {where}: {exc.message}") from None
    return schema


@cache
def compiled_validator(kind: str) -> Any:
    """A compiled validator (jsonschema-rs) that checks formats such as date-time, as check-jsonschema does."""
    return jsonschema_rs.validator_for(load_schema(kind), validate_formats=True)


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (our schemas use only `#/$defs/...`), keeping the referring node's own keywords."""
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
