"""The command as a new user meets it: no command passes on nothing, no traceback for a user's mistake or the
environment, one way to give the cut-off, a help text for every option, and a README that lists them all."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pytest
from support import AS_OF, REPO, copy_kb, run, run_cli

from generator.cli import build_parser

# Every command, with the arguments it needs to get as far as looking for the knowledge base.
COMMANDS = {
    "validate": [],
    "build": [],
    "report": ["2026-10"],
    "generate": ["--out", "generated"],
    "diff": ["HEAD"],
    "serve": ["--dev-addr", "127.0.0.1:1"],
    "new": ["--title", "x", "--severity", "SEV4", "--service", "api"],
    "update": ["INC-2026-001", "--status", "monitoring", "--message", "m"],
    "import": ["statuspage", "incidents.json"],
}


def _incidentkb_in(folder: Path, *args: str | Path) -> tuple[int, str, str]:
    result = run_cli(*args, cwd=folder)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_passes_outside_a_knowledge_base(tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _incidentkb_in(empty, command, *COMMANDS[command])
    assert (code, out) == (2, ""), err
    assert f"no knowledge base here: neither {empty} nor a folder above it holds incidents/ or services/" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in empty.iterdir()) == []  # nothing written either

    code, _, err = _incidentkb_in(empty, "--root", tmp_path / "nonexistent", command, *COMMANDS[command])
    assert code == 2 and f"--root {tmp_path / 'nonexistent'}: no such folder" in err, err
    code, _, err = _incidentkb_in(tmp_path, "--root", empty, command, *COMMANDS[command])
    assert code == 2 and "not a knowledge base (it holds neither incidents/ nor services/)" in err, err


def test_the_knowledge_base_is_found_from_a_folder_inside_it(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    code, out, err = _incidentkb_in(kb / "incidents" / "2026", "validate", "--as-of", AS_OF)
    assert code == 0, err
    assert out.endswith("0 error(s), 3 warning(s)\n")


def test_generate_refuses_a_file_and_a_foreign_folder_and_replaces_its_own(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n", encoding="utf-8")
    result = run_cli("--root", kb, "generate", "--out", a_file, "--as-of", AS_OF)
    assert result.returncode == 2 and "exists and is not a folder" in result.stderr, result.stderr
    assert a_file.read_text(encoding="utf-8") == "mine\n"

    foreign = tmp_path / "foreign"
    (foreign / "sub").mkdir(parents=True)
    (foreign / "sub" / "keep.md").write_text("keep me\n", encoding="utf-8")
    result = run_cli("--root", kb, "generate", "--out", foreign, "--as-of", AS_OF)
    assert result.returncode == 2 and "holds sub/keep.md, which incidentkb generate did not write" in result.stderr
    assert (foreign / "sub" / "keep.md").read_text(encoding="utf-8") == "keep me\n"

    out = tmp_path / "generated"
    result = run_cli("--root", kb, "generate", "--out", out, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    record = next((kb / "incidents").rglob("*.yaml"))
    incident_id = re.search(r"^id: (\S+)", record.read_text(encoding="utf-8"), re.M)[1]  # type: ignore[index]
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert f"incidents/{incident_id}.md" in pages
    # A second run after the record is deleted: exactly the current pages, the deleted incident's page gone.
    (tmp_path / "elsewhere").mkdir()
    record.rename(tmp_path / "elsewhere" / record.name)
    refs = [p for p in (kb / "incidents").rglob("*.yaml") if incident_id in p.read_text(encoding="utf-8")]
    for path in refs:  # other records may name it as related; drop them too, for a valid knowledge base
        path.rename(tmp_path / "elsewhere" / path.name)
    result = run_cli("--root", kb, "generate", "--out", out, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    again = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert f"incidents/{incident_id}.md" not in again
    listed = set((out / ".incidentkb-generated").read_text(encoding="utf-8").splitlines())
    assert again == listed | {".incidentkb-generated"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".generated.")] == []


def test_an_unwritable_output_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    result = run_cli("--root", kb, "generate", "--out", "/proc/incidentkb-nope", "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("incidentkb: error: ") and "/proc/" in last, result.stderr


def test_the_plugin_refuses_a_cut_off_without_an_offset(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    config = kb / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace(
        "  - incidentkb\n", "  - incidentkb:\n      as_of: 2026-11-23T12:00:00\n"
    )
    config.write_text(text, encoding="utf-8")
    result = run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "site")], cwd=kb)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert "incidentkb: as_of '2026-11-23T12:00:00' needs an explicit offset" in result.stderr


def test_version_and_a_help_text_for_every_option() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and re.fullmatch(r"incidentkb \d+\.\d+\.\d+\n", result.stdout), result.stdout
    missing = [
        f"{command} {' '.join(action.option_strings) or action.dest}"
        for command, parser in _commands().items()
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert missing == []


def test_the_readme_lists_every_option_of_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {m[1]: m[0] for m in re.finditer(r"^\| `incidentkb (\w+) .*$", readme, re.M)}
    missing = []
    for command, parser in _commands().items():
        if command == "incidentkb":
            continue
        row = rows.get(command, "")
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            names = action.option_strings or [action.metavar or action.dest]
            if not any(str(name) in row for name in names):
                missing.append(f"{command} {names[0]}")
    assert missing == []
    assert "--version" in readme and "--root" in readme


def test_build_public_prints_its_timing_line(tmp_path: Path) -> None:
    kb = copy_kb(tmp_path / "kb")
    result = run_cli("--root", kb, "build", "--public", "--site-dir", tmp_path / "public", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"^generated [\d,]+ pages and charts in [\d.]+ s; MkDocs built them in [\d.]+ s$", result.stdout, re.M
    )
    assert result.stdout.endswith(f"built {tmp_path / 'public'}\n")


def test_the_cut_off_is_given_one_way_everywhere() -> None:
    """Every command that judges time takes --as-of, as a timestamp or a day; nothing takes --today."""
    commands = _commands()
    for command in ("validate", "build", "generate", "report", "diff"):
        options = {o for a in commands[command]._actions for o in a.option_strings}
        assert "--as-of" in options and "--today" not in options, command
    day = build_parser().parse_args(["validate", "--as-of", "2026-11-23"]).as_of
    assert day.isoformat() == "2026-11-23T00:00:00+00:00"
    moment = build_parser().parse_args(["build", "--as-of", "2026-11-23T12:30:00+02:00"]).as_of
    assert moment.isoformat() == "2026-11-23T12:30:00+02:00"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"incidentkb": parser, **subparsers.choices}
