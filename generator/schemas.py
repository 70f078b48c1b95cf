"""The JSON Schemas in `schemas/`: found, checked against their metaschema, compiled once.

The schema files are the single source of truth for field names, help texts and what is public (`x-public`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

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


def compiled_validator(kind: str, taxonomies: Taxonomies = ()) -> Any:
    """A compiled validator (jsonschema-rs) of the effective schema of `kind` (effective_schema) that checks formats
    such as date-time, as check-jsonschema does. Without taxonomies, or with none that change `kind`, it is the
    default validator itself: one compiled object per process."""
    if not taxonomies:
        return _default_validator(kind)
    return _effective_validator(kind, taxonomies)


@cache
def _default_validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(kind), validate_formats=True)


@cache
def _effective_validator(kind: str, taxonomies: Taxonomies) -> Any:
    schema = effective_schema(kind, taxonomies)
    if schema is load_schema(kind):
        return _default_validator(kind)
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (our schemas use only `#/$defs/...`), keeping the referring node's own keywords."""
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


# --- taxonomies: the values a knowledge base adds to the schemas' enums (incidentkb.yml, taxonomies) ----------


class Added(NamedTuple):
    """One value a knowledge base adds to a taxonomy: its name, its description and, for an update status, the
    lifecycle phase it announces."""

    name: str
    description: str | None
    phase: str | None = None


# The hashable form of incidentkb.yml's `taxonomies`: (taxonomy, its added values in the file's order), by taxonomy
# name. Empty: the schemas as they are.
Taxonomies = tuple[tuple[str, tuple[Added, ...]], ...]
NO_TAXONOMIES: Taxonomies = ()
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def taxonomy_names() -> tuple[str, ...]:
    """The taxonomies a knowledge base may extend, in the settings schema's order."""
    return tuple(load_schema("settings")["properties"]["taxonomies"]["properties"])


def taxonomy_targets(taxonomy: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The enums a taxonomy extends, as (record kind, path in that kind's schema): the settings schema's
    `x-extends` of the taxonomy, each `<kind>.schema.json#/<pointer>`."""
    targets = []
    for target in load_schema("settings")["properties"]["taxonomies"]["properties"][taxonomy]["x-extends"]:
        file, _, pointer = target.partition("#/")
        targets.append((file.removesuffix(".schema.json"), tuple(pointer.split("/"))))
    return tuple(targets)


def _enum_node(schema: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The node at `path` (which carries the description an editor shows) and the node holding its enum (the
    `$ref`'s target when the node refers to a definition)."""
    node: Any = schema
    for part in path:
        if not isinstance(node, dict) or part not in node:
            raise BuildError(f"a taxonomy extends /{'/'.join(path)}, which the schema does not have")
        node = node[part]
    target = node
    if "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
    if "enum" not in target:
        raise BuildError(f"a taxonomy extends /{'/'.join(path)}, which is not an enum")
    return node, target


def taxonomy_defaults(taxonomy: str) -> tuple[str, ...]:
    """The values a taxonomy has by default (the schemas' enums, null left out)."""
    values: dict[str, None] = {}
    for kind, path in taxonomy_targets(taxonomy):
        _, node = _enum_node(load_schema(kind), path)
        values.update((value, None) for value in node["enum"] if value is not None)
    return tuple(values)


def taxonomies_from(data: object) -> Taxonomies:
    """The hashable form of the settings' `taxonomies` value. Total over whatever YAML gave: what the settings
    schema would refuse (a malformed name, a missing phase) is left out, since the settings findings report it."""
    if not isinstance(data, Mapping):
        return NO_TAXONOMIES
    phases = _lifecycle_phases()
    found = []
    for taxonomy in taxonomy_names():
        values = data.get(taxonomy)
        if not isinstance(values, Mapping):
            continue
        added = []
        for name, value in values.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                continue
            if taxonomy == "update_statuses":
                if isinstance(value, Mapping) and value.get("phase") in phases:
                    description = value.get("description")
                    added.append(Added(name, description if isinstance(description, str) else None, value["phase"]))
            elif isinstance(value, str):
                added.append(Added(name, value))
        if added:
            found.append((taxonomy, tuple(added)))
    return tuple(found)


def _lifecycle_phases() -> tuple[str, ...]:
    update_statuses = load_schema("settings")["properties"]["taxonomies"]["properties"]["update_statuses"]
    return tuple(update_statuses["additionalProperties"]["properties"]["phase"]["enum"])


def taxonomies_for(kind: str, taxonomies: Taxonomies) -> Taxonomies:
    """The part of `taxonomies` that changes the schema of `kind`."""
    kinds = {taxonomy: {k for k, _ in taxonomy_targets(taxonomy)} for taxonomy, _ in taxonomies}
    return tuple(entry for entry in taxonomies if kind in kinds[entry[0]])


@cache
def effective_schema(kind: str, taxonomies: Taxonomies = NO_TAXONOMIES) -> dict[str, Any]:
    """The schema of `kind` with the knowledge base's taxonomies added to its enums: each added value after the
    defaults (null stays last where the enum has it), named with its description in the enum's description, and an
    added update status in `x-lifecycle` too. A value that is already a default is not added again (the settings
    check reports it). Without extensions for `kind` this is load_schema(kind) itself. Never mutate the result."""
    relevant = taxonomies_for(kind, taxonomies)
    if not relevant:
        return load_schema(kind)
    schema = copy.deepcopy(load_schema(kind))
    for taxonomy, values in relevant:
        for target_kind, path in taxonomy_targets(taxonomy):
            if target_kind == kind:
                _extend(schema, path, values)
    return schema


def _extend(schema: dict[str, Any], path: tuple[str, ...], values: tuple[Added, ...]) -> None:
    described, node = _enum_node(schema, path)
    enum = node["enum"]
    new = [value for value in dict.fromkeys(v.name for v in values) if value not in enum]
    if not new:
        return
    added = [next(v for v in values if v.name == name) for name in new]
    node["enum"] = [v for v in enum if v is not None] + new + ([None] if None in enum else [])
    if isinstance(node.get("x-lifecycle"), dict):
        node["x-lifecycle"] = {**node["x-lifecycle"], **{v.name: v.phase for v in added if v.phase}}
    holder = described if "description" in described else node
    said = ", ".join(_said(v) for v in added)
    base = str(holder.get("description", "")).rstrip().removesuffix(".")
    holder["description"] = (
        f"{base}; this knowledge base adds: {said}." if base else f"This knowledge base adds: {said}."
    )


def _said(value: Added) -> str:
    about = ": ".join(part for part in (value.phase and f"phase {value.phase}", value.description) if part)
    return f"{value.name} ({about})" if about else value.name


EDITOR_KINDS = ("incident", "service", "settings")  # the schemas `incidentkb schema` writes


def editor_schema(kind: str, taxonomies: Taxonomies) -> dict[str, Any]:
    """The effective schema of `kind` as a file for editors (`incidentkb schema`): without the default's `$id`
    (it is another schema now), saying where it came from, and for the settings, each taxonomy's defaults named
    and refused as names, as the settings check refuses them."""
    schema = copy.deepcopy(effective_schema(kind, taxonomies))
    schema.pop("$id", None)
    schema["$comment"] = (
        f"Written by `incidentkb schema` from schemas/{kind}.schema.json and the taxonomies of incidentkb.yml; "
        "write it again after changing them."
    )
    if kind == "settings":
        for taxonomy, node in schema["properties"]["taxonomies"]["properties"].items():
            defaults = list(taxonomy_defaults(taxonomy))
            node["description"] = f"{node['description']} The defaults: {', '.join(defaults)}."
            node["propertyNames"]["not"] = {"enum": defaults, "description": "already a default value"}
    return schema


def public_schema(kind: str) -> dict[str, Any]:
    """The schema of a record's public projection (public.project): only the properties marked x-public, and of
    the required ones only those, the rest as in the schema. What `export --public` prints validates against it."""
    schema = load_schema(kind)
    projected = _public_node(schema, schema)
    projected["$id"] = schema["$id"].replace(".schema.json", ".public.schema.json")
    projected["$defs"] = schema.get("$defs", {})
    return projected


def _public_node(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    node = resolve(schema, node)
    if "properties" in node:
        kept = {
            key: _public_node(schema, sub)
            for key, sub in node["properties"].items()
            if resolve(schema, sub).get(PUBLIC_MARK) is True
        }
        return {
            **{k: v for k, v in node.items() if k not in ("properties", "required", "allOf", "if", "then", "else")},
            "properties": kept,
            "required": [key for key in node.get("required", []) if key in kept],
        }
    if isinstance(node.get("items"), dict):
        return {**node, "items": _public_node(schema, node["items"])}
    return node
