"""Helpers for the site tests (tests/test_site_*.py): running the CLI, copying and writing knowledge bases,
hashing trees, reading HTML, serving a built site and starting Chromium, and a generic schema walker that
makes a record with a value for every field of a schema.

Nothing here writes into the repository: every knowledge base and every site goes to a pytest tmp folder.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-23T12:00:00Z"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KB_PARTS = ("incidents", "services", "docs", "mkdocs.yml", "incidentkb.yml")
# `path:line:col: error[rule]: message`, as the validator prints a finding.
FINDING_LINE = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): error\[(?P<rule>[a-z0-9-]+)\]: .+$", re.M
)


# --- running the tools ------------------------------------------------------------------------------------


def run(cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600):
    """Run a command; never raises on a non-zero exit (the tests check the code and the output)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        list(cmd),
        cwd=cwd or REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def incidentkb(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`incidentkb ARGS` in a fresh interpreter (a fresh hash seed, as a user's run would have)."""
    return run([sys.executable, "-m", "generator", *map(str, args)], env=env)


def build(
    root: Path, site_dir: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return incidentkb("--root", root, "build", "--site-dir", site_dir, "--as-of", AS_OF, *extra, env=env)


def generate(root: Path, out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return incidentkb("--root", root, "generate", "--out", out, "--as-of", AS_OF, env=env)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-8000:]}"


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, explain(result)
    assert "Traceback" not in result.stderr, explain(result)


# --- the example knowledge base ---------------------------------------------------------------------------


def copy_kb(destination: Path, source: Path = REPO) -> Path:
    """A copy of the knowledge base's own files (records, authored pages, configuration): never the repo itself."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in KB_PARTS:
        origin = source / part
        assert origin.exists(), f"the knowledge base has no {part} ({origin})"
        if origin.is_dir():
            shutil.copytree(origin, destination / part)
        else:
            shutil.copy2(origin, destination / part)
    return destination


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_record(path: Path) -> dict[str, Any]:
    """A record as the generator reads it (timestamps stay strings, YAML 1.2 typing)."""
    from generator.loader import load_document

    return dict(load_document(path, path.name).data)


def example_incidents(root: Path = REPO) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, load_record(path)) for path in sorted((root / "incidents").glob("*/*.yaml"))]


def example_services(root: Path = REPO) -> list[tuple[Path, dict[str, Any]]]:
    return [(path, load_record(path)) for path in sorted((root / "services").glob("*.yaml"))]


_BUILT: dict[str, Path] = {}


def example_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The repository's example knowledge base, copied and built once per session: `(knowledge base, site)`.
    Tests read the records from the copy, so the site and the records they compare it with always agree."""
    if "site" not in _BUILT:
        base = tmp_path_factory.mktemp("example")
        kb = copy_kb(base / "kb")
        site = base / "out" / "site"
        result = build(kb, site)
        assert_ok(result)
        _BUILT.update(site=site, kb=kb)
    return _BUILT["kb"], _BUILT["site"]


# --- files and trees --------------------------------------------------------------------------------------


def tree_digest(root: Path, exclude: Callable[[str], bool] = lambda _: False) -> dict[str, str]:
    """`{relative path: sha256}` of every file under `root` (symlinks and folders by name)."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if exclude(rel):
            continue
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            digest[rel + "/"] = "dir"
        else:
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def write_record(path: Path, data: dict[str, Any]) -> Path:
    """A record as YAML. JSON is YAML (1.2), and quoting every string keeps `yes` or `12:30` strings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def nav_pages(config: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, str) and item.endswith(".md"):
            found.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(config.get("nav") or [])
    return found


def make_kb(
    root: Path, incidents: Sequence[dict[str, Any]], services: Sequence[dict[str, Any]], *, dated: bool = True
) -> Path:
    """A knowledge base from records, with the repository's mkdocs.yml and incidentkb.yml and a stub page for
    every authored page the navigation names (so a strict build has nothing missing)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copy2(REPO / "incidentkb.yml", root / "incidentkb.yml")
    for service in services:
        write_record(root / "services" / f"{service['id']}.yaml", service)
    for incident in incidents:
        write_record(root / "incidents" / incident_file_name(incident), incident)
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for page in nav_pages(load_yaml(root / "mkdocs.yml")):
        if (REPO / "docs" / page).is_file():  # an authored page: stubbed, so its links to records cannot break
            (docs / page).parent.mkdir(parents=True, exist_ok=True)
            (docs / page).write_text(f"# {Path(page).stem}\n\nA stub page for the site tests.\n", encoding="utf-8")
    return root


def incident_file_name(incident: dict[str, Any]) -> str:
    day = incident["started_at"][:10]
    slug = re.sub(r"[^a-z0-9]+", "-", incident["id"].lower()).strip("-")
    return f"{day[:4]}/{day}-{slug}.yaml"


def page_path(site: Path, page: str) -> Path:
    """The built HTML file of a page, `incidents/INC-2026-001` -> site/incidents/INC-2026-001/index.html."""
    return site / page / "index.html" if page else site / "index.html"


# --- reading HTML -----------------------------------------------------------------------------------------


@dataclass
class Tag:
    name: str
    attrs: list[tuple[str, str | None]]

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.attrs if key == name), None)


class PageParser(HTMLParser):
    """Collects every start tag with its attributes, the text outside script/style, the <title> and the
    contents of every <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self.text: list[str] = []
        self.title = ""
        self.scripts: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, attrs))
        if tag in ("title", "textarea"):
            # As browsers read them (RCDATA): text up to the end tag, where `<script>` is not a tag. A minifier
            # may leave `<` and `>` unescaped there, which is valid HTML; only `</title` would end the text.
            self.set_cdata_mode(tag)
        if tag in ("script", "style", "title"):
            self._stack.append(tag)
            if tag == "script":
                self.scripts.append("")
        elif tag in ("br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "pre", "label", "summary"):
            self.text.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, attrs))
        self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()
        self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._stack:
            self.text.append(data)
        elif self._stack[-1] == "title":
            self.title += html.unescape(data)  # character references count in RCDATA, not in CDATA mode
        elif self._stack[-1] == "script":
            self.scripts[-1] += data


def parse_html(markup: str) -> PageParser:
    parser = PageParser()
    parser.feed(markup)
    parser.close()
    return parser


def squash(text: str) -> str:
    return " ".join(text.split())


def html_text(markup: str) -> str:
    """The visible text of a page (script and style left out), whitespace collapsed, entities decoded."""
    return squash("".join(parse_html(markup).text))


# --- serving and the browser ------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 on a free port, in a thread; yields the base URL (with a trailing /)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def require_chromium() -> None:
    """Browser tests need Debian's Chromium; without it they fail (scripts/test.sh installs it), never skip."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bash scripts/test.sh does)")


@contextlib.contextmanager
def chromium_browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageWatch:
    """What a page did that a test must see: dialogs, console errors, uncaught errors, every request."""

    dialogs: list[str]
    console_errors: list[str]
    page_errors: list[str]
    requests: list[str]
    failed: list[str]


def watched_page(context: Any) -> tuple[Any, PageWatch]:
    page = context.new_page()
    watch = PageWatch([], [], [], [], [])

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on("requestfailed", lambda request: watch.failed.append(f"{request.url}: {request.failure}"))
    return page, watch


# --- a record with every field of a schema ----------------------------------------------------------------


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """A schema node with its local $ref followed (sibling keywords such as title kept)."""
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local $refs are supported by the site tests: {ref}"
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
        assert seen < 20, f"$ref loop at {ref}"
    return node


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type")
    if declared is None:
        if "properties" in node:
            return ["object"]
        if "items" in node:
            return ["array"]
        return []
    types = [declared] if isinstance(declared, str) else list(declared)
    return [t for t in types if t != "null"]


Path_ = tuple[str | int, ...]


class RecordMaker:
    """Makes a value for every property of a schema, recursively (arrays get one item).

    Strings are unique tokens (`<prefix><variant>-<path>-zz`; the `-zz` end keeps one token from being the prefix of
    another), or `text(path)` when given; patterned strings take the first candidate that matches; timestamps
    are distinct minutes after `base`, in walk order; enum values rotate with `variant`, so a set of variants
    covers every value; numbers are distinct and within their bounds; booleans alternate.
    """

    def __init__(
        self,
        schema: dict[str, Any],
        *,
        variant: int = 0,
        base: datetime,
        text: Callable[[Path_], str] | None = None,
        prefix: str = "tok",
    ) -> None:
        self.schema = schema
        self.prefix = prefix
        self.variant = variant
        self.base = base
        self.text = text
        self.minutes = 0
        self.counter = 0

    def make(self) -> dict[str, Any]:
        return self.value(self.schema, ())

    def token(self, path: Path_) -> str:
        words = "-".join(str(part) for part in path).replace("_", "-").lower()
        return f"{self.prefix}{self.variant}-{words}-zz"

    def value(self, node: dict[str, Any], path: Path_) -> Any:
        node = resolve(node, self.schema)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            values = [v for v in node["enum"] if v is not None]
            return values[(self.variant + self.counter_next()) % len(values) if len(values) > 1 else 0]
        types = _types(node)
        for kind in ("object", "array", "string", "integer", "number", "boolean"):
            if kind in types:
                return getattr(self, f"make_{kind}")(node, path)
        raise AssertionError(f"{'.'.join(map(str, path))}: no type the site tests know how to fill: {node}")

    def counter_next(self) -> int:
        self.counter += 1
        return self.counter - 1

    def make_object(self, node: dict[str, Any], path: Path_) -> dict[str, Any]:
        return {key: self.value(sub, (*path, key)) for key, sub in (node.get("properties") or {}).items()}

    def make_array(self, node: dict[str, Any], path: Path_) -> list[Any]:
        return [self.value(node.get("items") or {}, (*path, 0))]

    def make_string(self, node: dict[str, Any], path: Path_) -> str:
        fmt = node.get("format")
        if fmt == "date-time":
            moment = self.base + timedelta(minutes=3 * self.minutes)
            self.minutes += 1
            value = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif fmt == "date":
            value = (self.base.date() + timedelta(days=40 + self.counter_next())).isoformat()
        else:
            token = self.token(path)
            if self.text is not None and "pattern" not in node:
                value = self.text(path)
            else:
                candidates = [
                    token,
                    f"https://site-tests.example/{token}",
                    f"INC-{self.base.year}-{901 + self.variant}",
                ]
                pattern = node.get("pattern")
                value = next((c for c in candidates if pattern is None or re.search(pattern, c)), "")
                assert value, (
                    f"{'.'.join(map(str, path))}: no test value matches the pattern {pattern!r}; "
                    "teach RecordMaker in tests/site_helpers.py a candidate for it"
                )
        if "pattern" in node:
            assert re.search(node["pattern"], value), f"{path}: {value!r} does not match {node['pattern']!r}"
        return value

    def make_integer(self, node: dict[str, Any], path: Path_) -> int:
        low, high = node.get("minimum"), node.get("maximum")
        if low is not None and high is not None:
            return int(low) + (self.variant + self.counter_next()) % (int(high) - int(low) + 1)
        return 4100 + 111 * self.counter_next() + self.variant

    def make_number(self, node: dict[str, Any], path: Path_) -> float | int:
        high = node.get("exclusiveMaximum", node.get("maximum"))
        n = self.counter_next()
        if high is not None and high <= 1:
            return round(0.99 + (self.variant * 7 + n + 1) / 10000, 4)
        return 11 + self.variant * 3 + n  # whole minutes under an hour: rendered as `N min`

    def make_boolean(self, node: dict[str, Any], path: Path_) -> bool:
        return (self.variant + self.counter_next()) % 2 == 0


@dataclass(frozen=True)
class Leaf:
    path: Path_
    value: Any
    kind: str  # string, enum, timestamp, date, number, boolean

    @property
    def dotted(self) -> str:
        return ".".join(str(p) for p in self.path)

    def forms(self) -> list[str]:
        """The ways a page may show this value."""
        value = self.value
        if self.kind == "enum":
            return [str(value), str(value).replace("_", " ")]
        if self.kind == "timestamp":
            moment = datetime.fromisoformat(value.replace("z", "Z")).astimezone(UTC)
            return [moment.strftime("%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC")]
        if self.kind == "boolean":
            return ["yes" if value else "no"]
        if self.kind == "number":
            whole = int(value) if float(value).is_integer() else None
            forms = [str(value)] + ([str(whole), f"{whole} min"] if whole is not None else [])
            if 0 < value < 1:
                forms.append(f"{value * 100:.3f}%")
            return forms
        return [str(value)]


def leaves(schema: dict[str, Any], instance: Any) -> list[Leaf]:
    """Every scalar in `instance`, with the kind its schema gives it."""
    found: list[Leaf] = []

    def walk(node: dict[str, Any], value: Any, path: Path_) -> None:
        node = resolve(node, schema)
        if isinstance(value, dict):
            properties = node.get("properties") or {}
            for key, item in value.items():
                assert key in properties, f"{path}: {key} is not in the schema"
                walk(properties[key], item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(node.get("items") or {}, item, (*path, index))
        elif value is None:
            return
        elif "enum" in node:
            found.append(Leaf(path, value, "enum"))
        elif node.get("format") == "date-time":
            found.append(Leaf(path, value, "timestamp"))
        elif node.get("format") == "date":
            found.append(Leaf(path, value, "date"))
        elif isinstance(value, bool):
            found.append(Leaf(path, value, "boolean"))
        elif isinstance(value, int | float):
            found.append(Leaf(path, value, "number"))
        else:
            found.append(Leaf(path, value, "string"))

    walk(schema, instance, ())
    return found


def schema_leaf_paths(schema: dict[str, Any]) -> set[str]:
    """Every leaf property path of a schema (array items as `[]`), to prove a record covers them all."""
    paths: set[str] = set()

    def walk(node: dict[str, Any], path: str, depth: int) -> None:
        assert depth < 30, f"schema recursion too deep at {path}"
        node = resolve(node, schema)
        types = _types(node)
        if "object" in types and node.get("properties"):
            for key, sub in node["properties"].items():
                walk(sub, f"{path}.{key}" if path else key, depth + 1)
        elif "array" in types and "enum" not in node:
            walk(node.get("items") or {}, f"{path}[]", depth + 1)
        else:
            paths.add(path)

    walk(schema, "", 0)
    return paths


def instance_leaf_paths(found: Sequence[Leaf]) -> set[str]:
    return {re.sub(r"\.(\d+)(?=\.|$)", "[]", leaf.dotted) for leaf in found}


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [map_strings(v, change) for v in value]
    if isinstance(value, str):
        return change(value)
    return value


def load_schema(kind: str) -> dict[str, Any]:
    return json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
