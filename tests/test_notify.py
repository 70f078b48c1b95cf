"""`incidentkb notify --since REV` posts the public updates added since a git revision to webhooks.

Real parts: a real git repository with example-style records (committed, then changed in the working tree), the
real command line in a subprocess, and local HTTP servers (http.server on 127.0.0.1, in a thread) that record
every request and answer as each test scripts them: a target that fails and recovers, one that always fails, one
that refuses. The payloads are read by consumers someone else wrote: Slack's official Python SDK parses our Block
Kit blocks (and checks their limits), Microsoft's Adaptive Cards renderer (npm `adaptivecards`, with markdown-it as
a Teams client processes TextBlock Markdown) renders our Teams card in Chromium, and jsonschema checks the generic
payload against schemas/notification.schema.json.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support import (
    FINDING_LINE,
    SCHEMAS,
    TESTS,
    chromium_browser,
    explain,
    git,
    incident,
    new_git_kb,
    run_cli,
    serve,
    service_record,
    update,
    window,
    write_record,
)

AS_OF = "2026-11-21T12:00:00Z"
CANARY = "CANARY-INTERNAL-7319"  # in every internal field of the records: it must never be posted
TEAMS_CLIENT = TESTS / "teams" / "node_modules"
SECRET = "T0SECRET/B0SECRET/xoxSECRETtoken"  # in every webhook path: a URL is a secret and is never printed
FORMATS = {"slack": "INCIDENTKB_TEST_SLACK", "teams": "INCIDENTKB_TEST_TEAMS", "generic": "INCIDENTKB_TEST_GENERIC"}
HOSTILE = (
    "<!channel> <@U024BE7LH> <https://evil.example|Click to fix> & *bold* _it_ [a link](https://evil.example) "
    "**strong** {{DATE(2017-02-14T06:08:39Z,SHORT)}} &amp; </div><script>alert(1)</script>"
)


# --- a webhook that records what it receives ------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Webhooks:
    """One local HTTP server standing in for every webhook: each path answers the statuses scripted for it, in
    order (then 200); `"hang"` answers nothing until after the client's time-out."""

    base: str = ""
    scripts: dict[str, list[int | str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"{self.base}hooks/{name}/{SECRET}"

    def to(self, name: str) -> list[Any]:
        """The bodies posted to the webhook `name`, in the order received."""
        return [r.body for r in self.received if r.path == f"/hooks/{name}/{SECRET}"]

    def next_answer(self, path: str) -> int | str:
        with self.lock:
            script = self.scripts.get(path.split("/")[2], [])
            return script.pop(0) if script else 200


@contextlib.contextmanager
def webhooks() -> Iterator[Webhooks]:
    hooks = Webhooks()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            with hooks.lock:
                hooks.received.append(Received(self.path, dict(self.headers), json.loads(raw)))
            answer = hooks.next_answer(self.path)
            if answer == "hang":
                time.sleep(1.5)  # past the test settings' 0.5 s time-out: the client gives up first
                return
            assert isinstance(answer, int)
            self.send_response(answer)
            if answer == 429:
                self.send_header("Retry-After", "0")
            text = b"ok" if answer < 300 else f"error {answer} at {self.path}".encode()  # a body that echoes the URL
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hooks.base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the knowledge base ------------------------------------------------------------------------------------------

SETTINGS = """report:
  timezone: UTC
public:
  site_name: Larkspur Market status
  site_url: https://status.larkspur.example/
  company: Larkspur Market
notify:
  targets:
    - name: status-channel
      format: slack
      url_env: INCIDENTKB_TEST_SLACK
    - name: teams-ops
      format: teams
      url_env: INCIDENTKB_TEST_TEAMS
    - name: audit
      format: generic
      url_env: INCIDENTKB_TEST_GENERIC
  retries: 3
  timeout_seconds: 0.5
  retry_delay_seconds: 0.01
  max_retry_delay_seconds: 0.05
"""
SEARCH_FILE = "incidents/2026/2026-11-20-inc-2026-101.yaml"
LEDGER_FILE = "incidents/2026/2026-11-20-inc-2026-102.yaml"


def search_incident(*updates: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An ongoing incident on a listed service (and an unlisted one), with a canary in its internal fields."""
    record = incident(
        "INC-2026-101",
        "Search results missing some products",
        "2026-11-20T10:00:00Z",
        [window("search", "partial_outage", "2026-11-20T10:00:00Z", "2026-11-20T11:30:00Z")],
        services=["search", "ledger"],
        status="identified",
        summary="Some products were missing from search results.",
        updates=list(updates),
        **extra,
    )
    record["summary"]["internal"] = f"{CANARY} the shard on os-d2 tripped"
    record["timeline"] = [{"at": "2026-11-20T10:05:00Z", "event": f"{CANARY} alert fired"}]
    record["action_items"] = [
        {"title": f"{CANARY} fix", "owner": f"{CANARY} Ravi", "due": "2026-12-01", "status": "open", "kind": "prevent"}
    ]
    return record


FIRST = update("2026-11-20T10:20:00Z", "investigating", "Some products are missing from search. We are investigating.")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git knowledge base: a listed service, an unlisted one, an incident with one public update, an incident on
    the unlisted service only and a near miss (neither public); all committed."""
    root = new_git_kb(tmp_path / "kb")
    (root / "incidentkb.yml").write_text(SETTINGS, encoding="utf-8")  # its own: the repository's may gain a notify
    write_record(root / "services/search.yaml", service_record("search", "Search", 0.995))
    write_record(root / "services/ledger.yaml", service_record("ledger", None, 0.99))
    write_record(root / SEARCH_FILE, search_incident(FIRST))
    hidden = incident(
        "INC-2026-102",
        f"{CANARY} ledger lag",
        "2026-11-20T09:00:00Z",
        [window("ledger", "major_outage", "2026-11-20T09:00:00Z", "2026-11-20T09:30:00Z")],
        updates=[update("2026-11-20T09:10:00Z", "investigating", f"{CANARY} unlisted")],
    )
    write_record(root / LEDGER_FILE, hidden)
    near_miss = incident(
        "INC-2026-103", f"{CANARY} near miss", "2026-11-19T08:00:00Z", [], services=["search"], kind="near_miss"
    )
    near_miss["updates"] = [update("2026-11-19T08:10:00Z", "investigating", f"{CANARY} near miss update")]
    write_record(root / "incidents/2026/2026-11-19-inc-2026-103.yaml", near_miss)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def add_updates(root: Path, *updates: dict[str, Any], **extra: Any) -> None:
    write_record(root / SEARCH_FILE, search_incident(FIRST, *updates, **extra))


def notify(
    root: Path, hooks: Webhooks | None, *args: str, env: dict[str, str] | None = None, as_of: str = AS_OF
) -> Any:
    """`incidentkb notify --since HEAD` with every target's variable pointing at `hooks` (or as `env` says)."""
    variables = env if env is not None else {var: hooks.url(fmt) for fmt, var in FORMATS.items()} if hooks else {}
    result = run_cli("notify", "--since", "HEAD", "--as-of", as_of, *args, root=root, env=variables, timeout=120)
    assert "Traceback" not in result.stderr, explain(result)
    assert SECRET not in result.stdout + result.stderr, explain(result)  # no webhook URL is ever printed
    return result


def dry_run_payloads(stdout: str) -> list[Any]:
    """The JSON documents --dry-run prints, each after its `--- ...` line."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(part.split("\n", 1)[1])[0] for part in stdout.split("\n--- ")[1:]]


def all_bodies(hooks: Webhooks) -> str:
    return json.dumps([r.body for r in hooks.received], ensure_ascii=False)


def generic_schema_validator() -> Any:
    schema = json.loads((SCHEMAS / "notification.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# --- what is posted ----------------------------------------------------------------------------------------------

SECOND = update("2026-11-20T10:45:00Z", "identified", "We found the cause and are restoring the missing products.")


def test_one_new_update_is_posted_once_to_each_format_in_its_shape(repo: Path) -> None:
    add_updates(repo, {**SECOND, "next_update_at": "2026-11-20T11:30:00Z"})
    with webhooks() as hooks:
        result = notify(repo, hooks)
    assert result.returncode == 0, explain(result)
    assert "1 new public update since HEAD" in result.stdout
    for line in (
        "status-channel (slack): 1 of 1 update posted",
        "teams-ops (teams): 1 of 1 update posted",
        "audit (generic): 1 of 1 update posted",
    ):
        assert line + "\n" in result.stdout, result.stdout
    assert len(hooks.received) == 3
    entry_id = "tag:status.larkspur.example,2026-11-20:INC-2026-101/20261120T104500Z"

    [slack] = hooks.to("slack")
    assert slack["text"].startswith("Search results missing some products: identified. We found the cause")
    assert [b["type"] for b in slack["blocks"]] == ["header", "context", "section", "context", "context"]
    assert slack["blocks"][0]["text"]["text"] == "Incident: Search results missing some products"
    assert slack["blocks"][1]["elements"][0]["text"] == "Identified · 2026-11-20 10:45 UTC · Search (partial outage)"
    assert slack["blocks"][2]["text"] == {"type": "plain_text", "text": SECOND["message"], "emoji": False}
    assert slack["blocks"][3]["elements"][0]["text"] == "Next update by 2026-11-20 11:30 UTC."
    link = "<https://status.larkspur.example/history/INC-2026-101/|View the incident on Larkspur Market status>"
    assert slack["blocks"][4]["elements"][0] == {"type": "mrkdwn", "text": link}

    [teams] = hooks.to("teams")
    assert teams["type"] == "message" and len(teams["attachments"]) == 1
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    runs = [block["inlines"][0]["text"] for block in card["body"]]
    assert runs == [
        "Incident: Search results missing some products",
        "Identified · 2026-11-20 10:45 UTC · Search (partial outage)",
        SECOND["message"],
        "Next update by 2026-11-20 11:30 UTC.",
    ]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "View the incident on Larkspur Market status",
            "url": "https://status.larkspur.example/history/INC-2026-101/",
        }
    ]

    [generic] = hooks.to("generic")
    generic_schema_validator().validate(generic)
    assert generic == {
        "version": 1,
        "id": entry_id,
        "record": {
            "id": "INC-2026-101",
            "kind": "incident",
            "title": "Search results missing some products",
            "url": "https://status.larkspur.example/history/INC-2026-101/",
        },
        "update": {
            "at": "2026-11-20T10:45:00Z",
            "status": "identified",
            "phase": "identified",
            "message": SECOND["message"],
            "next_update_at": "2026-11-20T11:30:00Z",
        },
        "services": [{"id": "search", "name": "Search", "impact": "partial_outage"}],  # ledger is not listed
        "site": {"name": "Larkspur Market status", "url": "https://status.larkspur.example/"},
    }
    headers = next(r.headers for r in hooks.received if r.body == generic)
    assert headers["Idempotency-Key"] == entry_id and headers["Content-Type"].startswith("application/json")


def test_the_generic_schema_refuses_what_it_should(repo: Path) -> None:
    """The published schema can fail: a payload with a local time, an unknown key or no id is refused."""
    add_updates(repo, SECOND)
    result = notify(repo, None, "--dry-run", "--target", "audit")
    [payload] = dry_run_payloads(result.stdout)
    validator = generic_schema_validator()
    validator.validate(payload)
    for broken in (
        {**payload, "update": {**payload["update"], "at": "2026-11-20T11:45:00+01:00"}},
        {**payload, "severity": "SEV2"},
        {key: value for key, value in payload.items() if key != "id"},
        {**payload, "services": [{"id": "search", "name": "Search", "impact": "bad"}]},
    ):
        assert list(validator.iter_errors(broken)), broken


def test_several_new_updates_are_posted_oldest_first_across_records(repo: Path) -> None:
    later = update("2026-11-20T11:40:00Z", "resolved", "All products are back in search results.")
    add_updates(repo, later, SECOND)  # written out of order: the time decides
    other = incident(
        "INC-2026-104",
        "Search slow",
        "2026-11-20T11:00:00Z",
        [window("search", "degraded_performance", "2026-11-20T11:00:00Z", "2026-11-20T11:20:00Z")],
        updates=[update("2026-11-20T11:05:00Z", "investigating", "Search is slow.")],
    )
    write_record(repo / "incidents/2026/2026-11-20-inc-2026-104.yaml", other)
    with webhooks() as hooks:
        result = notify(repo, hooks)
    assert result.returncode == 0, explain(result)
    assert "status-channel (slack): 3 of 3 updates posted\n" in result.stdout
    for fmt in FORMATS:
        assert len(hooks.to(fmt)) == 3
    order = [(g["record"]["id"], g["update"]["at"]) for g in hooks.to("generic")]
    assert order == [
        ("INC-2026-101", "2026-11-20T10:45:00Z"),
        ("INC-2026-104", "2026-11-20T11:05:00Z"),
        ("INC-2026-101", "2026-11-20T11:40:00Z"),
    ]
    assert [s["text"].split(":")[0] for s in hooks.to("slack")] == [
        "Search results missing some products",
        "Search slow",
        "Search results missing some products",
    ]
    # an update's impact is the one in force at its time: none once the window has ended
    assert [g["services"][0]["impact"] for g in hooks.to("generic")] == [
        "partial_outage",
        "degraded_performance",
        None,
    ]


def test_an_edited_update_is_not_posted_again(repo: Path) -> None:
    edited = {**FIRST, "message": "Some products are missing from search results. We are investigating."}
    write_record(repo / SEARCH_FILE, search_incident(edited))
    with webhooks() as hooks:
        result = notify(repo, hooks)
        assert result.returncode == 0, explain(result)
        assert hooks.received == []
        assert "nothing to post: no public update was added since HEAD" in result.stdout
        assert "not posted again (edited since HEAD): INC-2026-101 at 2026-11-20T10:20:00Z" in result.stdout
        write_record(repo / SEARCH_FILE, search_incident(edited, SECOND))
        again = notify(repo, hooks)
    assert again.returncode == 0, explain(again)
    assert [g["update"]["at"] for g in hooks.to("generic")] == ["2026-11-20T10:45:00Z"]


def test_internal_text_never_reaches_any_payload(repo: Path) -> None:
    """Canaries fill the internal fields of the public incident, and every field of an incident on an unlisted
    service and of a near miss, all changed since the base: none of it is posted, in any format or in --dry-run."""
    add_updates(repo, SECOND)
    for path in (LEDGER_FILE, "incidents/2026/2026-11-19-inc-2026-103.yaml"):
        record = json.loads((repo / path).read_text())
        record["updates"].append(update("2026-11-20T10:50:00Z", "identified", f"{CANARY} new"))
        write_record(repo / path, record)
    with webhooks() as hooks:
        result = notify(repo, hooks)
        dry = notify(repo, hooks, "--dry-run")
    assert result.returncode == 0 and dry.returncode == 0, explain(result)
    assert len(hooks.received) == 3  # only the public incident's new update, once per target
    for text in (all_bodies(hooks), result.stdout, dry.stdout):
        assert CANARY not in text
        assert "ledger" not in text.lower()  # an unlisted service's id and name are internal too


def test_newly_public_records_maintenance_future_updates_and_removed_records(repo: Path) -> None:
    """A record made public since REV (its only service now listed) has its updates posted; planned maintenance is
    posted as maintenance; an update dated after the cut-off waits; a removed record is listed, nothing posted."""
    write_record(repo / "services/ledger.yaml", service_record("ledger", "Ledger", 0.99))
    (repo / SEARCH_FILE).unlink()
    planned = incident(
        "INC-2026-105",
        "Planned database upgrade",
        "2026-11-25T02:00:00Z",
        [],
        services=["search"],
        kind="maintenance",
        status="identified",
        scheduled={"start": "2026-11-25T02:00:00Z", "end": "2026-11-25T03:00:00Z"},
        updates=[
            update("2026-11-20T12:00:00Z", "scheduled", "Search may be slow for up to an hour during an upgrade."),
            update("2026-11-25T02:00:00Z", "in_progress", "The upgrade has begun."),
        ],
    )
    write_record(repo / "incidents/2026/2026-11-25-inc-2026-105.yaml", planned)
    with webhooks() as hooks:
        result = notify(
            repo, hooks, env={"INCIDENTKB_TEST_GENERIC": hooks.url("generic")}, as_of="2026-11-21T00:00:00Z"
        )
    assert result.returncode == 0, explain(result)
    posted = [(g["record"]["id"], g["record"]["kind"], g["update"]["status"]) for g in hooks.to("generic")]
    assert posted == [("INC-2026-102", "incident", "investigating"), ("INC-2026-105", "maintenance", "scheduled")]
    assert hooks.to("generic")[0]["services"] == [{"id": "ledger", "name": "Ledger", "impact": "major_outage"}]
    assert "not posted yet (dated after 2026-11-21T00:00:00Z; a run after its time posts it): INC-2026-105 at " in (
        result.stdout
    )
    assert "no longer public since HEAD (nothing is posted about it): INC-2026-101\n" in result.stdout
    dry = notify(repo, None, "--dry-run", "--target", "status-channel", as_of="2026-11-21T00:00:00Z")
    headers = [p["blocks"][0]["text"]["text"] for p in dry_run_payloads(dry.stdout)]
    assert headers[1] == "Planned maintenance: Planned database upgrade"


def test_retry_delays_double_honour_retry_after_and_are_capped() -> None:
    from email.utils import format_datetime

    from generator.config import NotifySettings
    from generator.notify.delivery import retry_delay

    settings = NotifySettings(retry_delay_seconds=0.5, max_retry_delay_seconds=3)
    assert [retry_delay(n, settings) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3, 3]
    assert retry_delay(1, settings, "2") == 2 and retry_delay(1, settings, "120") == 3
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_delay(1, NotifySettings(max_retry_delay_seconds=60), soon) == pytest.approx(30, abs=2)
    assert retry_delay(2, settings, "soon, please") == 1.0  # unreadable: the backoff applies


# --- delivery --------------------------------------------------------------------------------------------------


def test_a_target_that_recovers_is_posted_after_retries_and_one_that_fails_is_reported(repo: Path) -> None:
    add_updates(repo, SECOND, update("2026-11-20T11:40:00Z", "resolved", "All products are back."))
    with webhooks() as hooks:
        hooks.scripts = {"teams": ["hang", 500, 503], "generic": [500] * 10}
        result = notify(repo, hooks)
    assert result.returncode == 1, explain(result)
    assert "status-channel (slack): 2 of 2 updates posted\n" in result.stdout
    assert "teams-ops (teams): 2 of 2 updates posted (3 retries)\n" in result.stdout
    # the failing target is tried 1 + 3 times for its first update, then stops: no later update before an earlier one
    assert (
        "audit (generic): FAILED after 4 attempts: HTTP 500 Internal Server Error: error 500 at <webhook URL>; "
        "at INC-2026-101 at 2026-11-20T10:45:00Z; 0 of 2 updates posted\n"
    ) in result.stdout
    assert len(hooks.to("slack")) == 2
    assert len(hooks.to("teams")) == 3 + 1 + 1  # the first update three times (a time-out, a 500, a 503), then OK
    assert [t["attachments"][0]["content"]["body"][2]["inlines"][0]["text"] for t in hooks.to("teams")[3:]] == [
        SECOND["message"],
        "All products are back.",
    ]
    assert len(hooks.to("generic")) == 4
    assert all(body == hooks.to("generic")[0] for body in hooks.to("generic"))


def test_a_4xx_is_not_retried_and_a_429_is(repo: Path) -> None:
    add_updates(repo, SECOND)
    with webhooks() as hooks:
        hooks.scripts = {"slack": [404], "teams": [400], "generic": [429, 429]}
        result = notify(repo, hooks)
    assert result.returncode == 1, explain(result)
    assert "status-channel (slack): FAILED after 1 attempt: HTTP 404 Not Found" in result.stdout
    assert "teams-ops (teams): FAILED after 1 attempt: HTTP 400 Bad Request" in result.stdout
    assert "audit (generic): 1 of 1 update posted (2 retries)\n" in result.stdout
    assert (len(hooks.to("slack")), len(hooks.to("teams")), len(hooks.to("generic"))) == (1, 1, 3)


def test_an_unset_variable_skips_its_target_and_a_bad_url_fails_it(repo: Path) -> None:
    add_updates(repo, SECOND)
    with webhooks() as hooks:
        only_slack = notify(repo, hooks, env={"INCIDENTKB_TEST_SLACK": hooks.url("slack")})
        assert only_slack.returncode == 0, explain(only_slack)
        assert (
            "teams-ops (teams): skipped: INCIDENTKB_TEST_TEAMS is not set (not configured here)\n" in only_slack.stdout
        )
        assert "audit (generic): skipped: INCIDENTKB_TEST_GENERIC is not set" in only_slack.stdout
        assert len(hooks.received) == 1
        bad = notify(
            repo,
            hooks,
            "--target",
            "teams-ops",
            env={"INCIDENTKB_TEST_TEAMS": f"ftp://example.com/{SECRET}", "INCIDENTKB_TEST_SLACK": "unused"},
        )
    assert bad.returncode == 1, explain(bad)
    assert (
        "teams-ops (teams): FAILED: INCIDENTKB_TEST_TEAMS is not an https:// URL (http:// is allowed only to "
        "localhost); at the first update; 0 of 1 update posted\n"
    ) in bad.stdout
    assert "status-channel" not in bad.stdout.split("oldest first:")[1]  # --target: only the one named
    assert len(hooks.received) == 1


def test_dry_run_posts_nothing_and_prints_each_payload(repo: Path) -> None:
    add_updates(repo, SECOND)
    with webhooks() as hooks:
        result = notify(repo, hooks, "--dry-run")
    assert result.returncode == 0, explain(result)
    assert hooks.received == []
    assert "status-channel (slack): would post 1 (dry run; INCIDENTKB_TEST_SLACK not read)" in result.stdout
    payloads = dry_run_payloads(result.stdout)
    assert [p.get("type") or p.get("version") or "slack" for p in payloads] == [
        "slack",
        "message",
        1,
    ]


def test_usage_errors_exit_2_without_a_traceback(repo: Path, tmp_path: Path) -> None:
    bad_revision = run_cli("notify", "--since", "no-such-branch", root=repo)
    assert bad_revision.returncode == 2, explain(bad_revision)
    assert "incidentkb: error: 'no-such-branch' is not a commit of the repository at" in bad_revision.stderr
    assert "Traceback" not in bad_revision.stderr
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    not_git = run_cli("notify", "--since", "HEAD", root=plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert not_git.returncode == 2 and "not a git repository" in not_git.stderr, explain(not_git)
    assert "Traceback" not in not_git.stderr
    option = run_cli("notify", "--since=--output=x", root=repo)
    assert option.returncode == 2 and "cannot start with -" in option.stderr, explain(option)
    assert not list(repo.glob("x*")) and not list(repo.parent.glob("x*"))
    unknown = run_cli("notify", "--since", "HEAD", "--target", "nope", root=repo)
    assert unknown.returncode == 2 and "--target nope: no such target" in unknown.stderr, explain(unknown)


def test_notify_settings_are_schema_checked_with_lines(repo: Path) -> None:
    text = (repo / "incidentkb.yml").read_text()
    bad = text.replace("format: teams", "format: discord").replace(
        "url_env: INCIDENTKB_TEST_GENERIC", "url_env: https://hooks.example/x"
    )
    bad = bad.replace("name: audit", "name: status-channel").replace("retries: 3", "retries: 99")
    (repo / "incidentkb.yml").write_text(bad)
    result = run_cli("validate", "--as-of", AS_OF, "incidentkb.yml", root=repo, cwd=repo)
    assert result.returncode == 1, explain(result)
    found = {(int(m["line"]), m["rule"]) for m in FINDING_LINE.finditer(result.stdout)}
    lines = bad.splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if needle in line)

    assert found == {
        (line_of("format: discord"), "schema"),
        (line_of("url_env: https://"), "schema"),
        (line_of("retries: 99"), "schema"),
        ([i for i, line in enumerate(lines, 1) if line == "    - name: status-channel"][1], "settings"),  # twice
    }, result.stdout
    refused = notify(repo, None)
    assert refused.returncode == 1 and "nothing was posted" in refused.stderr, explain(refused)


# --- hostile text, and the consumers someone else wrote ---------------------------------------------------------


def hostile_run(repo: Path) -> tuple[Any, Webhooks]:
    title = ("<!here> & " * 20)[:160]  # 160 characters that escape to far more than Slack's 150 for a header
    add_updates(repo, update("2026-11-20T10:45:00Z", "identified", HOSTILE))
    record = json.loads((repo / SEARCH_FILE).read_text())
    record["title"] = title
    write_record(repo / SEARCH_FILE, record)
    with webhooks() as hooks:
        result = notify(repo, hooks)
    assert result.returncode == 0, explain(result)
    return result, hooks


def slack_texts(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(text object type, text) of every text in a Slack payload; the top-level `text` reads as mrkdwn."""
    found = [("mrkdwn", payload["text"])]
    for block in payload["blocks"]:
        objects = [block["text"]] if "text" in block else block.get("elements", [])
        found += [(o["type"], o["text"]) for o in objects]
    return found


def test_hostile_text_cannot_mention_link_or_format_in_slack(repo: Path) -> None:
    _, hooks = hostile_run(repo)
    [payload] = hooks.to("slack")
    texts = slack_texts(payload)
    ours = "<https://status.larkspur.example/history/INC-2026-101/|View the incident on Larkspur Market status>"
    for _, text in texts:
        if text == ours:
            continue
        assert "<" not in text and ">" not in text, text  # no <!channel>, <@U...>, <url|text>: Slack's controls
        assert "&" not in text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", ""), text
    assert [kind for kind, text in texts if kind == "mrkdwn" and text != ours] == ["mrkdwn"]  # only `text`
    body = next(text for kind, text in texts if "channel" in text and kind == "plain_text")
    assert body.startswith("&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;https://evil.example|Click to fix&gt; &amp; ")
    assert "&amp;amp;" in body  # an entity in the record is shown as written, not decoded
    header = payload["blocks"][0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…") and header.startswith("Incident: &lt;!here&gt; &amp; ")


def test_slacks_own_sdk_reads_our_blocks_back_unchanged() -> None:
    """Slack's official Python SDK parses each block into its models, which check Block Kit's rules (types,
    required fields, text lengths), and writes it back: the same JSON, so nothing we send is unknown to it."""
    from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

    from generator.notify.messages import SLACK_HEADER_LIMIT

    cases = []
    for title, message in (("Short title", "A short update."), (("<!here> & " * 20)[:160], HOSTILE * 10)):
        cases.append(_slack_payload_for(title, message[:2000]))
    for payload in cases:
        parsed = [Block.parse(block) for block in payload["blocks"]]
        assert [type(b) for b in parsed] == [HeaderBlock, ContextBlock, SectionBlock, ContextBlock]
        for block, original in zip(parsed, payload["blocks"], strict=True):
            assert block is not None
            block.validate_json()  # raises SlackObjectFormationError on a broken rule (a header over 150...)
            assert block.to_dict() == original
        assert len(payload["blocks"][0]["text"]["text"]) <= SLACK_HEADER_LIMIT


def _slack_payload_for(title: str, message: str) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from generator.notify.messages import Message, ServiceImpact, slack_payload

    return slack_payload(
        Message(
            id="tag:status.example.com,2026-11-20:INC-2026-101/20261120T104500Z",
            kind="incident",
            record_id="INC-2026-101",
            title=title,
            status="identified",
            phase="identified",
            at=datetime(2026, 11, 20, 10, 45, tzinfo=UTC),
            message=message,
            next_update_at=None,
            url="https://status.example.com/history/INC-2026-101/",
            services=(ServiceImpact("search", "Search & <b>", "partial_outage"),),
            site_name="Example <!channel> status",
            site_url="https://status.example.com/",
            zone=ZoneInfo("UTC"),
        )
    )


CARD_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script src="markdown-it.min.js"></script><script src="adaptivecards.js"></script></head><body>
<div id="card"></div><div id="control"></div>
<script>
function render(target, json) {
  const card = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  card.parse(json, context);
  const events = [];
  for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i).message);
  document.getElementById(target).appendChild(card.render());
  return events;
}
</script></body></html>"""


def test_microsofts_adaptive_cards_renderer_shows_hostile_text_as_text(repo: Path, tmp_path: Path) -> None:
    """Microsoft's renderer, with markdown-it loaded as a Teams client processes Markdown, renders the card we
    posted: every text is shown as written (no link, no bold, no date put in for {{DATE()}}, no element from
    `<script>`), the card parses without a warning, and its only link is our action. A control card with the same
    text in a TextBlock gets a link from it: Markdown is on, so the test can fail."""
    _, hooks = hostile_run(repo)
    [teams] = hooks.to("teams")
    card = teams["attachments"][0]["content"]
    page_dir = tmp_path / "page"
    page_dir.mkdir()
    assert (TEAMS_CLIENT / "adaptivecards").is_dir(), "run scripts/test.sh (npm ci --prefix tests/teams)"
    shutil.copy2(TEAMS_CLIENT / "adaptivecards" / "dist" / "adaptivecards.js", page_dir)
    shutil.copy2(TEAMS_CLIENT / "markdown-it" / "dist" / "markdown-it.min.js", page_dir)
    (page_dir / "card.html").write_text(CARD_PAGE, encoding="utf-8")
    control = {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": HOSTILE}]}
    with serve(page_dir) as origin, chromium_browser() as browser:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{origin}card.html")
        events = page.evaluate("card => render('card', card)", card)
        page.evaluate("card => render('control', card)", control)
        shown = page.inner_text("#card")
        links = page.eval_on_selector_all("#card a", "links => links.map(a => a.href)")
        bold = page.eval_on_selector_all("#card strong, #card b, #card script", "found => found.length")
        buttons = page.eval_on_selector_all("#card button", "found => found.map(b => b.innerText)")
        control_links = page.eval_on_selector_all("#control a", "links => links.map(a => a.href)")
        page.close()
    assert events == [], events
    assert dialogs == []
    assert "<!channel> <@U024BE7LH> <https://evil.example|Click to fix> & *bold* _it_ [a link](" in shown
    assert "**strong** {\u200b{DATE(2017-02-14T06:08:39Z,SHORT)}} &amp; </div><script>alert(1)</script>" in shown
    assert links == [] and bold == 0, (links, bold)
    assert buttons == ["View the incident on Larkspur Market status"]
    assert "https://evil.example/" in control_links  # the same text in a TextBlock would have been a link
    assert all(block["type"] == "RichTextBlock" for block in card["body"])  # record text only in TextRuns


def test_the_schema_defaults_are_the_defaults_notify_uses() -> None:
    from generator.config import NotifySettings

    schema = json.loads((SCHEMAS / "settings.schema.json").read_text(encoding="utf-8"))
    properties = schema["properties"]["notify"]["properties"]
    defaults = NotifySettings()
    assert {key: node["default"] for key, node in properties.items() if "default" in node} == {
        "retries": defaults.retries,
        "timeout_seconds": defaults.timeout_seconds,
        "retry_delay_seconds": defaults.retry_delay_seconds,
        "max_retry_delay_seconds": defaults.max_retry_delay_seconds,
    }
