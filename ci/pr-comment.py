#!/usr/bin/env python3
"""Post a pull request's summary as one comment that later runs update in place (GitHub REST API).

    ci/pr-comment.py PR_NUMBER FILE

Only the standard library, so any CI with a Python 3 can run it before (or without) installing incidentkb.
Reads from the environment:
  GITHUB_TOKEN       the token that writes the comment (sent only in the Authorization header, never printed)
  GITHUB_REPOSITORY  owner/name of the repository
  GITHUB_API_URL     the API's address (default https://api.github.com; GitHub Enterprise sets its own)
  INCIDENTKB_COMMENT_AUTHOR  the login the token comments as (default github-actions[bot], the workflow token's)

The comment starts with a hidden marker. The comment updated is the earlier one that carries the marker AND was
written by the token's own login: a human quoting the marker, or another bot's comment, is never touched. Without
one, a new comment is created. Exit 0 on success, 1 when the API refuses or cannot be reached, 2 on bad usage.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

MARKER = "<!-- incidentkb-diff -->"
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_AUTHOR = "github-actions[bot]"
# GitHub refuses a comment body longer than 65,536 characters (422); a huge diff is cut with a note instead.
MAX_BODY = 65_536
TRUNCATED_NOTE = "\n\n_The summary was cut here: it is longer than GitHub allows in one comment. The full text is in the workflow's `sites` artifact (diff.md)._\n"
TIMEOUT_SECONDS = 30
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class CommentError(Exception):
    """A failure to report in one line, without a traceback (and without the token)."""


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the API's own host: urllib would otherwise resend the Authorization header
    to wherever a redirect points."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            raise CommentError(f"refusing to follow a redirect to {_origin(newurl)} with the token")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GitHubAPI:
    """The few issue-comment endpoints this script needs, with the token kept inside."""

    def __init__(self, api_url: str, repository: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self._token = token
        self._origin = _origin(self.api_url)
        self._opener = urllib.request.build_opener(SameOriginRedirects)

    def request(self, method: str, url: str, payload: dict[str, Any] | None = None) -> tuple[Any, str | None]:
        """The decoded JSON answer and the Link header's next page, if any."""
        # Pagination links come from the server: follow them only to the API's own host, so the token never
        # travels anywhere else.
        if _origin(url) != self._origin:
            raise CommentError(f"refusing to send the token to {_origin(url)}: not the API at {self._origin}")
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "incidentkb-ci")
        request.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                body = response.read()
                link = response.headers.get("Link")
        except urllib.error.HTTPError as error:
            raise CommentError(f"{method} {url}: {error.code} {error.reason}: {self._api_message(error)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CommentError(f"{method} {url}: cannot reach the API: {self._redact(str(reason))}") from None
        try:
            decoded = json.loads(body) if body else None
        except ValueError:
            raise CommentError(f"{method} {url}: the answer is not JSON") from None
        match = NEXT_LINK.search(link or "")
        return decoded, match.group(1) if match else None

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment of the issue or pull request, following the pages."""
        url: str | None = f"{self.api_url}/repos/{self.repository}/issues/{number}/comments?per_page=100"
        found: list[dict[str, Any]] = []
        while url is not None:
            page, url = self.request("GET", url)
            if not isinstance(page, list):
                raise CommentError(f"listing the comments of #{number}: expected a list, got {type(page).__name__}")
            found.extend(item for item in page if isinstance(item, dict))
        return found

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        answer, _ = self.request(
            "PATCH", f"{self.api_url}/repos/{self.repository}/issues/comments/{comment_id}", {"body": body}
        )
        return answer if isinstance(answer, dict) else {}

    def create(self, number: int, body: str) -> dict[str, Any]:
        answer, _ = self.request(
            "POST", f"{self.api_url}/repos/{self.repository}/issues/{number}/comments", {"body": body}
        )
        return answer if isinstance(answer, dict) else {}

    def _api_message(self, error: urllib.error.HTTPError) -> str:
        try:
            text = error.read().decode("utf-8", "replace")
        except OSError:
            return "(no answer body)"
        try:
            message = json.loads(text).get("message", text)
        except (ValueError, AttributeError):
            message = text
        return self._redact(str(message).strip()[:500] or "(no message)")

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def comment_body(summary: str) -> str:
    """The marker, then the summary, cut to what GitHub accepts."""
    body = f"{MARKER}\n{summary}"
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - len(TRUNCATED_NOTE)] + TRUNCATED_NOTE
    return body


def our_earlier_comment(comments: list[dict[str, Any]], author: str) -> dict[str, Any] | None:
    """The first comment that carries the marker and was written by `author`."""
    for comment in comments:
        login = (comment.get("user") or {}).get("login")
        if login == author and MARKER in str(comment.get("body") or ""):
            return comment
    return None


def post_summary(api: GitHubAPI, number: int, summary: str, author: str) -> str:
    """Update our earlier comment or create one; a line saying which."""
    body = comment_body(summary)
    earlier = our_earlier_comment(api.comments(number), author)
    if earlier is not None:
        answer = api.update(int(earlier["id"]), body)
        return f"updated comment {answer.get('html_url') or earlier['id']} on #{number}"
    answer = api.create(number, body)
    return f"created comment {answer.get('html_url') or answer.get('id')} on #{number}"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        print("usage: ci/pr-comment.py PR_NUMBER FILE", file=sys.stderr)
        return 2
    number, path = int(argv[0]), Path(argv[1])
    token = os.environ.get("GITHUB_TOKEN", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    missing = [name for name, value in (("GITHUB_TOKEN", token), ("GITHUB_REPOSITORY", repository)) if not value]
    if missing:
        print(f"pr-comment: set {' and '.join(missing)}", file=sys.stderr)
        return 2
    try:
        summary = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"pr-comment: cannot read {path}: {error}", file=sys.stderr)
        return 2
    api = GitHubAPI(os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL, repository, token)
    author = os.environ.get("INCIDENTKB_COMMENT_AUTHOR") or DEFAULT_AUTHOR
    try:
        print(post_summary(api, number, summary, author))
    except CommentError as error:
        print(f"pr-comment: GitHub API error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
