"""Text that is data stays data: hostile record text and hostile file names, through the real CLI.

- The loader: a character that is not text (C0 controls but tab and newline, DEL, C1 controls, U+FFFE and U+FFFF,
  the bidirectional embeddings, overrides and isolates), raw or written as a YAML escape, is a `control-character`
  finding at its scalar in any field, naming the code point and never echoing it.
- The reporters: file names holding a newline and `::warning file=x::forged`, ESC sequences, bidi controls, `##[`
  or bytes that are not UTF-8 forge no GitHub workflow command and reach no terminal raw, in any format. The
  runner's own parsing rules (actions/runner ActionCommand.TryParseV2 and TryParse) are mirrored below.
- The `diff` pull-request comment: `@user`, `@org/team`, `#12`, bare URLs and e-mail addresses from record text
  render as written, but in no text node where GitHub would turn them into a mention, a reference or a link.
- A service whose id is the name of a page of the site (`index`) is a finding, not a runbook silently lost.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from support import KB, NEAR_MISS_TEXT, SERVICES, TODAY, node_position
from test_diff_github import AS_OF, commit, incident, new_repo, path_of, run

from generator.loader import LoadError, load_document, text_problem

# What a terminal acts on or what reorders text: C0 controls but the newline, DEL, C1 controls, line and paragraph
# separators, bidirectional marks and controls.
TERMINAL_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# What the loader refuses in record text; a message naming one must not hold it.
NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def variant(number: int, old: str = "", new: str = "") -> str:
    """The hand-written near miss (valid as it is) with its own id and `old` replaced by `new`."""
    text = NEAR_MISS_TEXT.replace("INC-2026-016", f"INC-2026-{900 + number}")
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def knowledge_base(root: Path) -> KB:
    kb = KB(root)
    for name, data in SERVICES.items():
        kb.write_service(name, data)
    return kb


# --- the loader: characters that are not text --------------------------------------------------------------

TITLE = 'title: "Config change caught by the canary"'
# (where it is written: old text, new text with {x} for the character, JSON path of the scalar, is a key)
PLACES = {
    "title": (TITLE, 'title: "Config {x} change"', ["title"], False),
    "key": ("  public: null\n", '  public: null\n  "note{x}": x\n', ["summary", "note{x}"], True),
    "flow-mapping-in-list": (
        "event: Config change merged.}",
        'event: "Config {x} merged."}',
        ["timeline", 0, "event"],
        False,
    ),
    "block-list-of-mappings": (
        "  - title: Validate pool sizes in CI",
        '  - title: "Validate {x} pool sizes"',
        ["action_items", 0, "title"],
        False,
    ),
    "flow-list": ("tags: [no, on, config]", 'tags: [no, on, "con{x}fig"]', ["tags", 2], False),
}
# Each character the loader refuses, as a YAML escape, and its code point.
ESCAPES = [
    ("\\0", 0x00),
    ("\\a", 0x07),
    ("\\b", 0x08),
    ("\\v", 0x0B),
    ("\\f", 0x0C),
    ("\\r", 0x0D),  # a CRLF line break is "\n" to YAML already: an escaped CR is a control character
    ("\\e", 0x1B),
    ("\\x1f", 0x1F),
    ("\\x7f", 0x7F),
    ("\\x80", 0x80),
    ("\\N", 0x85),
    ("\\x9b", 0x9B),
    ("\\x9f", 0x9F),
    ("\\uFFFE", 0xFFFE),
    ("\\uFFFF", 0xFFFF),
    *((f"\\u{code:04X}", code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))),
]
# Characters that are text, however they are written: the file holding one passes.
ALLOWED = ["\\t", "\\n", "\t", "\\L", "\\P", "\\u200E", "\\_", "\\\\e", "\\u00e9", "\\U0001F600", "\\x41", "\\\\"]


def refused_cases() -> list[tuple[str, str, list[str | int], bool, int]]:
    """(name, file text, JSON path, is a key, code point) for each refused character in each place."""
    cases = []
    placed = [("title", escape, code) for escape, code in ESCAPES]
    placed += [(place, escape, code) for place in PLACES for escape, code in (("\\e", 0x1B), ("\\u202E", 0x202E))]
    for place, escape, code in placed:
        old, new, path, is_key = PLACES[place]
        number = len(cases)
        text = variant(number, old, new.replace("{x}", escape))
        resolved = [part.replace("{x}", chr(code)) if isinstance(part, str) else part for part in path]
        cases.append((f"{place}-{escape}", text, resolved, is_key, code))
    # Raw, not escaped: YAML's reader lets the bidirectional controls through, in every kind of scalar.
    raw = [
        ("raw-title", TITLE, "title: Config \u202e change", ["title"]),
        ("raw-flow-list", "tags: [no, on, config]", "tags: [no, on, con\u2066fig]", ["tags", 2]),
        (
            "raw-block-scalar",
            "    A connection-pool setting of 0 reached the canary.",
            "    A connection-pool setting of 0 reached \u202b the canary.",
            ["summary", "internal"],
        ),
    ]
    for name, old, new, path in raw:
        code = ord(NOT_TEXT.search(new).group())  # type: ignore[union-attr]
        cases.append((name, variant(len(cases), old, new), path, False, code))
    return cases


REFUSED = refused_cases()


@pytest.fixture(scope="module")
def loader_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, object]]]:
    """Every refused and allowed case in one knowledge base, validated by one `validate --format json` run:
    {file name: its findings}."""
    kb = knowledge_base(tmp_path_factory.mktemp("loader") / "kb")
    for number, (_, text, _, _, _) in enumerate(REFUSED):
        kb.write(f"incidents/2026/2026-11-10-refused-{number}.yaml", text)
    for number, written in enumerate(ALLOWED):
        text = variant(100 + number, TITLE, f'title: "Config {written} change"')
        kb.write(f"incidents/2026/2026-11-10-allowed-{number}.yaml", text)
    kb.write("incidents/2026/2026-11-10-allowed-crlf.yaml", variant(200).replace("\n", "\r\n"))
    kb.write(
        "services/extra.yaml",
        "id: extra\nname: Extra\nowner_team: platform\ntier: 2\npublic: {listed: false}\nslo: {availability: 0.99}\n"
        'description: "Reads \\e[2J the screen"\n',
    )
    proc = kb.validate_cli("--format", "json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    by_file: dict[str, list[dict[str, object]]] = {}
    for finding in json.loads(proc.stdout):
        by_file.setdefault(str(finding["path"]).rsplit("/", 1)[-1], []).append(finding)
    return by_file


@pytest.mark.parametrize("number", range(len(REFUSED)), ids=[case[0] for case in REFUSED])
def test_a_character_that_is_not_text_is_a_finding_at_its_scalar(
    number: int, loader_findings: dict[str, list[dict[str, object]]]
) -> None:
    _, text, path, is_key, code = REFUSED[number]
    findings = loader_findings.get(f"2026-11-10-refused-{number}.yaml", [])
    assert [f["rule"] for f in findings] == ["control-character"], findings
    finding = findings[0]
    assert (finding["line"], finding["column"]) == node_position(text, path, key=is_key)
    message = str(finding["message"])
    assert f"U+{code:04X}" in message
    assert not NOT_TEXT.search(message), f"the message echoes the character: {message!r}"
    assert ("a key holds" in message) == is_key


def test_text_problem_refuses_exactly_what_the_loader_refuses(tmp_path: Path) -> None:
    """`text_problem` (for code that writes records) and the loader agree on every character of the BMP's control
    and format ranges, written as an escape in a title."""
    disagreements = []
    for code in (*range(0x00, 0xA0), *range(0x2000, 0x2070), 0xFEFF, 0xFFFE, 0xFFFF):
        path = tmp_path / "record.yaml"
        path.write_text(f'title: "a\\u{code:04X}b"\n', encoding="utf-8")
        try:
            load_document(path)
            loader_says = None
        except LoadError as exc:
            loader_says = exc.finding.message.removeprefix("title holds ")
        if loader_says != text_problem(f"a{chr(code)}b"):
            disagreements.append(f"U+{code:04X}: loader {loader_says!r}, text_problem {text_problem(chr(code))!r}")
    assert not disagreements, "\n".join(disagreements)
    assert text_problem("Tab\tand\nnewline, caf\u00e9, \u05e9\u05dc\u05d5\u05dd") is None


def test_a_service_field_is_checked_too(loader_findings: dict[str, list[dict[str, object]]]) -> None:
    findings = loader_findings.get("extra.yaml", [])
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [("control-character", 7, 14)], findings
    assert str(findings[0]["message"]).startswith("description holds U+001B, a control character")


@pytest.mark.parametrize("number", range(len(ALLOWED)), ids=ALLOWED)
def test_text_however_written_passes(number: int, loader_findings: dict[str, list[dict[str, object]]]) -> None:
    assert loader_findings.get(f"2026-11-10-allowed-{number}.yaml", []) == []


def test_crlf_line_breaks_are_not_control_characters(loader_findings: dict[str, list[dict[str, object]]]) -> None:
    """The block scalar of a CRLF file holds "\\n" line breaks: YAML normalises them, so there is no CR to refuse."""
    assert loader_findings.get("2026-11-10-allowed-crlf.yaml", []) == []


# --- the reporters: hostile file names ----------------------------------------------------------------------

# File names a pull request can add: each would forge a workflow command or drive a terminal if printed raw.
HOSTILE_NAMES = [
    "2026-11-10-x\n::warning file=x::forged.yaml",
    "2026-11-10-y\r::error file=x::carriage-return.yaml",
    "2026-11-10-\x1b[31mred\x1b]8;;evil.example\x07link.yaml",
    "2026-11-10-\u202elmth.yaml",
    "2026-11-10-##[warning]legacy-syntax.yaml",
    "2026-11-10-\x9b2Jc1.yaml",
]
# Not UTF-8: Python's str of it holds a lone surrogate, which cannot be printed as UTF-8 (its own run below).
NOT_UTF8_NAME = os.fsdecode(b"2026-11-10-caf\xe9-latin1.yaml")
# Outside the knowledge base a path is shown as given, so it can begin a line (white space before `::` too).
OUTSIDE_NAMES = ["::warning file=x::outside.yaml", "  ::warning file=x::indented.yaml"]
# Commands the runner knows (a name it does not know is no command).
RUNNER_COMMANDS = {
    "warning",
    "error",
    "notice",
    "debug",
    "add-mask",
    "stop-commands",
    "group",
    "endgroup",
    "set-output",
    "save-state",
    "add-path",
    "set-env",
    "echo",
    "add-matcher",
    "remove-matcher",
}
PROPERTY_ESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def runner_commands(output: str) -> list[tuple[str, dict[str, str]]]:
    """The workflow commands GitHub's runner would obey in `output`: per line, `::name props::data` after leading
    white space, else the older `##[name props]data` anywhere in the line."""
    found = []
    for line in re.split(r"\r\n|\r|\n", output):
        trimmed = line.lstrip()  # .NET's TrimStart(): Unicode white space
        end = trimmed.find("::", 2)
        if trimmed.startswith("::") and end > 0:
            name, _, props = trimmed[2:end].partition(" ")
            if name.lower() in RUNNER_COMMANDS:
                properties = {}
                for prop in filter(None, props.strip().split(",")):
                    key, _, value = prop.partition("=")
                    for escaped, raw in PROPERTY_ESCAPES:
                        value = value.replace(escaped, raw)
                    properties[key] = value
                found.append((name.lower(), properties))
                continue
        start = line.find("##[")
        close = line.find("]", start)
        if start >= 0 and close > 0 and line[start + 3 : close].partition(" ")[0].lower() in RUNNER_COMMANDS:
            found.append((line[start + 3 : close].partition(" ")[0].lower(), {}))
    return found


Run = tuple[int, str, str]


def validate_runs(work: Path, names: list[str], outside: list[str]) -> dict[str, Run]:
    """`incidentkb validate --format F` over a knowledge base whose incident files have the given names (their
    content valid), and files outside it, for each format: {format: (exit status, stdout, stderr)}. The output
    is decoded as strict UTF-8: bytes that are not UTF-8 are an error, not text."""
    kb = knowledge_base(work / "kb")
    for number, name in enumerate(names):
        kb.write(f"incidents/2026/{name}", variant(number))
    for number, name in enumerate(outside):
        (work / name).write_text(variant(50 + number), encoding="utf-8")
    runs = {}
    for output in ("text", "github", "json"):
        args = ["--root", "kb", "validate", "--as-of", TODAY, "--format", output, "kb/incidents", *outside]
        proc = subprocess.run(
            [sys.executable, "-m", "generator", *args], cwd=work, capture_output=True, timeout=120, check=False
        )
        runs[output] = (proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))
    return runs


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return validate_runs(tmp_path_factory.mktemp("names"), HOSTILE_NAMES, OUTSIDE_NAMES)


def expected_paths() -> set[str]:
    return {f"incidents/2026/{name}" for name in HOSTILE_NAMES} | set(OUTSIDE_NAMES)


@pytest.mark.parametrize("output", ["text", "github", "json"])
def test_a_file_name_forges_no_command_and_reaches_no_terminal_raw(output: str, hostile_runs: dict[str, Run]) -> None:
    returncode, stdout, stderr = hostile_runs[output]
    assert returncode == 1 and "Traceback" not in stderr, stderr
    for stream in (stdout, stderr):
        assert not TERMINAL_CONTROL.search(stream), TERMINAL_CONTROL.findall(stream)
        assert "##[" not in stream
    commands = runner_commands(stdout) + runner_commands(stderr)
    if output != "github":
        assert commands == []
        return
    # One annotation per finding, each an error or warning about one of our files: none points at `x`.
    findings = json.loads(hostile_runs["json"][1])
    assert len(commands) == len(findings) and {name for name, _ in commands} <= {"error", "warning"}
    assert all(props["file"] != "x" and re.fullmatch("[a-z-]+", props["title"]) for _, props in commands), commands
    lines = stdout.splitlines()
    assert len(lines) == len(findings) and all(line.startswith(("::error file=", "::warning file=")) for line in lines)
    # A file name with a line break and colons comes back whole from the runner's escapes.
    assert f"incidents/2026/{HOSTILE_NAMES[0]}" in {props["file"] for _, props in commands}


def test_text_shows_each_file_name_visibly_on_one_line(hostile_runs: dict[str, Run]) -> None:
    _, stdout, _ = hostile_runs["text"]
    lines = stdout.splitlines()
    assert lines[-1] == f"{len(expected_paths())} error(s), 0 warning(s)"
    assert len(lines) == len(expected_paths()) + 1  # every finding on one line: no file name broke one
    shapes = [re.fullmatch(r"(.+):[0-9]+:[0-9]+: error\[[a-z-]+\]: .+", line) for line in lines[:-1]]
    assert all(shapes), lines
    starts = {shape[1] for shape in shapes if shape}
    assert starts == {
        "incidents/2026/2026-11-10-x\\n::warning file=x::forged.yaml",
        "incidents/2026/2026-11-10-y\\r::error file=x::carriage-return.yaml",
        "incidents/2026/2026-11-10-\\x1b[31mred\\x1b]8;;evil.example\\x07link.yaml",
        "incidents/2026/2026-11-10-\\u202elmth.yaml",
        "incidents/2026/2026-11-10-##\\x5bwarning]legacy-syntax.yaml",
        "incidents/2026/2026-11-10-\\x9b2Jc1.yaml",
        "./::warning file=x::outside.yaml",  # the same file, and no line begins with `::`
        "./  ::warning file=x::indented.yaml",
    }


def test_json_is_ascii_and_gives_every_name_back_exactly(hostile_runs: dict[str, Run]) -> None:
    _, stdout, _ = hostile_runs["json"]
    assert stdout.isascii()
    assert {finding["path"] for finding in json.loads(stdout)} == expected_paths()


def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(tmp_path: Path) -> None:
    """Printing the name raw raises UnicodeEncodeError (a traceback, no findings): each format shows it instead."""
    runs = validate_runs(tmp_path, [NOT_UTF8_NAME], [])
    for output, (returncode, _, stderr) in runs.items():
        assert returncode == 1 and "Traceback" not in stderr, (output, stderr)
    assert runs["text"][1].startswith("incidents/2026/2026-11-10-caf\\udce9-latin1.yaml:")
    assert runs["github"][1].startswith("::error file=incidents/2026/2026-11-10-caf\\udce9-latin1.yaml,")
    assert [f["path"] for f in json.loads(runs["json"][1])] == [f"incidents/2026/{NOT_UTF8_NAME}"]


# --- the diff comment: mentions, references and bare addresses ----------------------------------------------

HOSTILE_TITLE = (
    "Paged @alice, @acme/on-call and @bob_x: see https://evil.example/x, www.evil.example, carol@example.com, #12"
)
TRIGGERS = re.compile(r"@[a-z0-9]|https?://|www\.|#[0-9]", re.IGNORECASE)


class TextNodes(HTMLParser):
    """The rendered comment's text nodes outside code (where GitHub looks for mentions and autolinks), the text
    as a reader sees it (a comment shows nothing), and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self.visible = ""
        self.links: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._code += tag in ("code", "pre")
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("code", "pre")

    def handle_data(self, data: str) -> None:
        self.visible += data
        if not self._code:
            self.nodes.append(data)


def rendered(markdown: str) -> TextNodes:
    parser = TextNodes()
    parser.feed(MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown))
    parser.close()
    return parser


def test_the_diff_comment_shows_mentions_and_addresses_without_pinging_or_linking(tmp_path: Path) -> None:
    quoted = json.dumps(HOSTILE_TITLE)
    item = f"action_items:\n  - {{title: {quoted}, owner: web, due: 2026-04-01, status: open, kind: prevent}}\n"
    repo = new_repo(tmp_path, {path_of(1): incident(1), path_of(2): incident(2, quoted)})
    (repo / path_of(1)).write_text(incident(1, quoted) + item)  # changed: its title, an item added, overdue
    (repo / path_of(2)).unlink()  # removed
    (repo / path_of(3)).write_text(incident(3, quoted))  # added
    (repo / "incidents/2026/@mallory-www.evil.example.yaml").write_text("id: [\n")  # broken, under a hostile name
    commit(repo, "change")
    out = run(repo, "diff", "main", "change", "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    markdown = out.stdout
    assert "@<!-- -->alice" in markdown and "@<!-- -->acme/on-call" in markdown

    page = rendered(markdown)
    # Shown as written: in the added table, the changed heading, the removed list, the added and the overdue item.
    assert page.visible.count(HOSTILE_TITLE) >= 5, page.visible
    assert "incidents/2026/@mallory-www.evil.example.yaml:2" in page.visible
    # ...yet no text node holds a mention, an issue reference or an address, and nothing is a link.
    triggers = [node for node in page.nodes if TRIGGERS.search(node)]
    assert triggers == [], triggers
    assert page.links == []
    # The title's old and new values are code spans, which GitHub leaves alone: there it is raw.
    assert f"→ ` {HOSTILE_TITLE} `" in markdown


# --- reserved service ids -----------------------------------------------------------------------------------


def test_a_service_named_after_a_page_of_the_site_is_a_finding(tmp_path: Path) -> None:
    """`runbooks/index.md` lists the runbooks; a service `index` would have its runbook overwritten by it."""
    kb = knowledge_base(tmp_path / "kb")
    kb.write_service("index", {**SERVICES["db"], "id": "index"})
    code, findings = kb.validate_json()
    assert code == 1
    mine = [f for f in findings if f["path"] == "services/index.yaml"]
    assert [(f["rule"], f["line"], f["column"]) for f in mine] == [("schema", 1, 5)], mine
    assert "Reserved" in mine[0]["message"] and "runbooks/index.md" in mine[0]["message"]
    generated = kb.cli("generate", "--out", tmp_path / "out", "--as-of", "2026-11-23T00:00:00Z")
    assert generated.returncode == 1 and "services/index.yaml:1:5: error[schema]" in generated.stderr
    assert not (tmp_path / "out" / "runbooks" / "index.md").exists()
