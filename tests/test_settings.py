"""The settings file (`incidentkb.yml`) is a record too: `validate` checks it against schemas/settings.schema.json
and the rules a schema cannot express, with `path:line:col` findings, and `build` refuses it with the very same
findings (one implementation: validate.load_settings_document). Every case is a real file in a temporary
knowledge base, run through the real loader, schema and CLI.

The values that reach pages are escaped where they are rendered; tests/test_site_injection.py opens the public
site built from hostile settings in Chromium, and this file checks the public site's generated mkdocs.yml reads
back, with MkDocs' own YAML loader, as exactly the values written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import KB, REPO, TODAY, node_position

from generator.analyze.availability import Weights
from generator.findings import Finding, InvalidRecordsError
from generator.knowledge_base import KnowledgeBase
from generator.render.public_pages import public_mkdocs_config
from generator.schemas import load_schema
from generator.settings import Settings, load_settings
from generator.validate import check_settings, site_url_problem

SETTINGS = "incidentkb.yml"
FINDING = re.compile(
    r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<rule>[a-z-]+)\]: "
)


def settings_text(*, report: str = "", public: str = "") -> str:
    """A complete, valid settings file, with lines replaced or added in `report` and `public`."""
    lines = {
        "report": {"timezone": "UTC", "weights": "{major_outage: 1.0, partial_outage: 0.3, degraded_performance: 0.0}"},
        "public": {
            "site_name": "Example status",
            "site_url": "https://status.example.com/",
            "company": "Example",
        },
    }
    for section, extra in (("report", report), ("public", public)):
        for line in filter(None, extra.split("\n")):
            key, _, value = line.partition(": ")
            lines[section][key] = value
    return "".join(
        f"{section}:\n" + "".join(f"  {key}: {value}\n" for key, value in values.items())
        for section, values in lines.items()
    )


# (case, settings text, the JSON path of the value the finding points at, key?, rule, words in the message)
CASES = [
    ("unknown top-level key", settings_text() + "colour: red\n", ["colour"], True, "schema", "unknown key 'colour'"),
    ("unknown report key", settings_text(report="zone: UTC"), ["report", "zone"], True, "schema", "unknown key"),
    ("unknown public key", settings_text(public="logo: x.png"), ["public", "logo"], True, "schema", "unknown key"),
    (
        "unknown weight",
        settings_text(report="weights: {major_outage: 1.0, minor_outage: 0.1}"),
        ["report", "weights", "minor_outage"],
        True,
        "schema",
        "unknown key 'minor_outage'",
    ),
    (
        "NaN weight",
        settings_text(report="weights: {major_outage: .nan}"),
        ["report", "weights", "major_outage"],
        False,
        None,
        "NaN",
    ),
    (
        "infinite weight",
        settings_text(report="weights: {partial_outage: .inf}"),
        ["report", "weights", "partial_outage"],
        False,
        None,
        "infinity",
    ),
    (
        "weight above 1",
        settings_text(report="weights: {major_outage: 1.5}"),
        ["report", "weights", "major_outage"],
        False,
        "schema",
        "1.5",
    ),
    (
        "negative weight",
        settings_text(report="weights: {degraded_performance: -0.1}"),
        ["report", "weights", "degraded_performance"],
        False,
        "schema",
        "-0.1",
    ),
    (
        "weight as text",
        settings_text(report="weights: {major_outage: full}"),
        ["report", "weights", "major_outage"],
        False,
        "schema",
        "number",
    ),
    (
        "weights out of order",
        settings_text(report="weights: {major_outage: 0.2, partial_outage: 0.3}"),
        ["report", "weights"],
        False,
        "settings",
        "major_outage 0.2",
    ),
    (
        "unknown time zone",
        settings_text(report="timezone: Mars/Olympus"),
        ["report", "timezone"],
        False,
        "settings",
        "'Mars/Olympus'",
    ),
    (
        "a folder of zones",
        settings_text(report="timezone: America"),
        ["report", "timezone"],
        False,
        "settings",
        "'America'",
    ),
    (
        "a path out of the zone folder",
        settings_text(report="timezone: ../../etc/passwd"),
        ["report", "timezone"],
        False,
        "settings",
        "unknown time zone",
    ),
    (
        "the machine's zone",
        settings_text(report="timezone: localtime"),
        ["report", "timezone"],
        False,
        "settings",
        "machine",
    ),
    (
        "javascript: URL",
        settings_text(public="site_url: 'javascript:alert(1)//'"),
        ["public", "site_url"],
        False,
        "schema",
        "https?",
    ),
    (
        "URL without a folder",
        settings_text(public="site_url: https://status.example.com"),
        ["public", "site_url"],
        False,
        "schema",
        "https?",
    ),
    (
        "URL that breaks out of an attribute",
        settings_text(public="site_url: 'https://status.example.com/\"><img src=x onerror=alert(1)>/'"),
        ["public", "site_url"],
        False,
        "settings",
        "percent-encode",
    ),
    (
        "URL with a space",
        settings_text(public="site_url: 'https://status.example.com/a b/'"),
        ["public", "site_url"],
        False,
        "settings",
        "percent-encode",
    ),
    (
        "URL with a password",
        settings_text(public="site_url: 'https://ops:hunter2@status.example.com/'"),
        ["public", "site_url"],
        False,
        "settings",
        "password",
    ),
    (
        "URL with a query",
        settings_text(public="site_url: 'https://status.example.com/?a=/'"),
        ["public", "site_url"],
        False,
        "settings",
        "query",
    ),
    (
        "URL with a bad port",
        settings_text(public="site_url: 'https://status.example.com:99999/'"),
        ["public", "site_url"],
        False,
        "settings",
        "port",
    ),
    (
        "URL with a bad host",
        settings_text(public="site_url: 'https://status..example.com/'"),
        ["public", "site_url"],
        False,
        "settings",
        "host",
    ),
    (
        "URL with a non-ASCII host",
        settings_text(public="site_url: 'https://stätus.example.com/'"),
        ["public", "site_url"],
        False,
        "settings",
        "xn--",
    ),
    (
        "site name of two lines",
        settings_text(public='site_name: "Example\\nstatus"'),
        ["public", "site_name"],
        False,
        "settings",
        "one line",
    ),
    ("blank site name", settings_text(public="site_name: '   '"), ["public", "site_name"], False, "settings", "blank"),
    ("empty company", settings_text(public="company: ''"), ["public", "company"], False, "schema", "company"),
    ("company as a number", settings_text(public="company: 42"), ["public", "company"], False, "schema", "string"),
    (
        "site name too long",
        settings_text(public=f"site_name: {'x' * 201}"),
        ["public", "site_name"],
        False,
        "schema",
        "long",
    ),
    (
        "fewest action items above the default's most",
        settings_text() + "policy:\n  live:\n    postmortem: {action_items_min: 5}\n",
        ["policy", "live", "postmortem"],
        False,
        "settings",
        "action_items_min (5) is more than action_items_max (4)",
    ),
    (
        "a policy requirement that does not exist",
        settings_text() + "policy:\n  reconstructed:\n    requires: [owner]\n",
        ["policy", "reconstructed", "requires", 0],
        False,
        "schema",
        "owner",
    ),
    (
        "a provenance that has no profile",
        settings_text() + "policy:\n  guessed: {}\n",
        ["policy", "guessed"],
        True,
        "schema",
        "guessed",
    ),
]


def errors_in(output: str) -> set[tuple[str, int, int, str]]:
    found = (FINDING.match(line) for line in output.splitlines())
    return {(m["path"], int(m["line"]), int(m["col"]), m["rule"]) for m in found if m and m["severity"] == "error"}


def _findings(kb: KB) -> list[Finding]:
    return check_settings(KnowledgeBase(kb.root))


@pytest.mark.parametrize(("text", "where", "key", "rule", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_bad_setting_is_one_finding_at_its_value(
    kb: KB, text: str, where: list[str], key: bool, rule: str | None, words: str
) -> None:
    kb.write(SETTINGS, text)
    findings = _findings(kb)
    assert len(findings) == 1, findings
    finding = findings[0]
    assert (finding.path, finding.severity.value) == (SETTINGS, "error")
    if rule is None:  # NaN and infinity: the loader refuses the file (what rule it names is the loader's business)
        assert finding.rule not in ("schema", "settings"), finding
    else:
        assert finding.rule == rule, finding
    assert (finding.line, finding.column) == node_position(text, where, key=key), finding
    assert words in finding.message, finding.message


def test_the_repository_settings_and_every_case_value_that_should_pass_are_valid(kb: KB) -> None:
    kb.write(SETTINGS, (REPO / SETTINGS).read_text(encoding="utf-8"))
    assert _findings(kb) == []
    kb.write(
        SETTINGS, settings_text(report="timezone: Europe/Berlin", public="site_url: 'http://[::1]:8080/status/%7Eops/'")
    )
    assert _findings(kb) == []
    kb.write(SETTINGS, "public:\n  site_name: '<script>alert(1)</script> & {{ 7*7 }} 🚦'\n")  # text: escaped later
    assert _findings(kb) == []
    (kb.root / SETTINGS).unlink()
    assert _findings(kb) == [] and load_settings(kb.root) == Settings()


@pytest.mark.parametrize(
    "url",
    ["https://status.example.com/", "http://localhost:8000/", "https://a-b.example/x/y_z/~me/", "https://10.0.0.1/"],
)
def test_good_site_urls_pass(url: str) -> None:
    assert site_url_problem(url) is None


def test_validate_reports_every_settings_finding_and_exits_1(kb: KB) -> None:
    """`validate` with no paths checks the settings with the records; so does `validate incidentkb.yml`; a
    validation of other files only does not."""
    text = (
        "report:\n  timezone: Mars/Olympus\n  weights: {major_outage: 0.2}\n  bogus: 1\n"
        "public:\n  site_url: 'javascript:alert(1)//'\n  site_name: \"two\\nlines\"\n"
    )
    kb.write(SETTINGS, text)
    expected = {
        (SETTINGS, *node_position(text, ["report", "timezone"]), "settings"),
        (SETTINGS, *node_position(text, ["report", "weights"]), "settings"),
        (SETTINGS, *node_position(text, ["report", "bogus"], key=True), "schema"),
        (SETTINGS, *node_position(text, ["public", "site_url"]), "schema"),
        (SETTINGS, *node_position(text, ["public", "site_name"]), "settings"),
    }
    for args in ((), (SETTINGS,), (kb.root / SETTINGS,), (SETTINGS, "incidents")):
        proc = kb.cli("validate", "--as-of", TODAY, *args, cwd=kb.root)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert errors_in(proc.stdout) == expected, (args, proc.stdout)
        assert "not a record" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    only_records = kb.cli("validate", "--as-of", TODAY, "incidents", "services", cwd=kb.root)
    assert only_records.returncode == 0 and SETTINGS not in only_records.stdout, only_records.stdout
    code, as_json = kb.validate_json()
    assert code == 1 and {(f["path"], f["line"], f["column"], f["rule"]) for f in as_json} == expected


def test_build_refuses_the_settings_with_the_findings_validate_reports(kb: KB, tmp_path: Path) -> None:
    text = settings_text(report="timezone: America", public="site_url: 'https://status.example.com/a b/'")
    kb.write(SETTINGS, text)
    validated = kb.validate_cli()
    findings = [line for line in validated.stdout.splitlines() if line.startswith(f"{SETTINGS}:")]
    assert len(findings) == 2, validated.stdout
    with pytest.raises(InvalidRecordsError) as raised:
        load_settings(kb.root)
    assert [f"{f.path}:{f.line}:{f.column}: error[{f.rule}]: {f.message}" for f in raised.value.findings] == findings
    site = tmp_path / "public-site"
    built = kb.cli("build", "--public", "--site-dir", site, "--as-of", "2026-11-23T12:00:00Z")
    assert built.returncode == 1 and not site.exists(), built.stdout + built.stderr
    assert all(line in built.stdout + built.stderr for line in findings), built.stdout + built.stderr
    assert "Traceback" not in built.stderr


def test_schema_defaults_are_the_defaults_the_report_uses() -> None:
    """The weights rule fills an absent weight from the schema; the report from Weights(): they must agree."""
    schema = load_schema("settings")["properties"]
    weights = schema["report"]["properties"]["weights"]["properties"]
    assert {level: node["default"] for level, node in weights.items()} == {
        "major_outage": Weights().major_outage,
        "partial_outage": Weights().partial_outage,
        "degraded_performance": Weights().degraded_performance,
    }
    defaults = Settings()
    assert schema["report"]["properties"]["timezone"]["default"] == defaults.timezone
    assert {key: node.get("default") for key, node in schema["public"]["properties"].items()} == {
        "site_name": defaults.site_name,
        "site_url": None,  # no default address: a public build without one is refused
        "company": defaults.company,
        "language": defaults.language,
    }
    assert defaults.site_url is None


NASTY_NAMES = [
    '"\nsite_url: javascript:alert(1)\nx: "',
    "!ENV HOME",
    "' # \\ {{ 7*7 }} {% raw %} &amp; <b>",
    "Status 🚦 \u2028 \u0085 é",
    "a: b\n- c",
]


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_the_public_mkdocs_yml_reads_back_as_the_settings_written(tmp_path: Path, name: str) -> None:
    """MkDocs' own YAML loader (with its !ENV and !relative tags) reads the generated configuration: each value
    comes back exactly, and nothing in a value adds a key."""
    from mkdocs.utils.yaml import yaml_load

    settings = Settings(site_name=name, site_url="https://status.example.com/")
    text = public_mkdocs_config(settings, str(tmp_path / f"docs {name[:3]}"), str(tmp_path / "site"))
    config = yaml_load(text)
    assert config["site_name"] == name
    assert config["site_url"] == "https://status.example.com/"
    assert config["docs_dir"] == str(tmp_path / f"docs {name[:3]}")
    assert set(config) == {
        "site_name",
        "site_url",
        "docs_dir",
        "site_dir",
        "hooks",
        "theme",
        "extra_css",
        "plugins",
        "markdown_extensions",
        "nav",
        "validation",
    }, sorted(config)
    assert (Path(config["theme"]["custom_dir"]) / config["extra_css"][0]).is_file()  # the uptime strips' style
    assert json.dumps(config["site_name"], ensure_ascii=False).encode("utf-8")  # no lone surrogates
