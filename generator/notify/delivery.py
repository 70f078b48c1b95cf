"""Posting messages to webhooks: HTTP POST of JSON with the standard library, retried with exponential backoff on
what may pass (a connection error, a time-out, HTTP 429 and 5xx; a Retry-After is honoured up to the longest
delay), never on another answer (4xx: the message or the address is wrong, and sending it again cannot help).

A webhook's URL is a secret: nothing here prints one. A target is named by its name and environment variable, and
every error text is cleaned of the URL (and of its path, which holds the token) before it is reported.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from generator.config import NotifySettings, NotifyTarget
from generator.findings import visible

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504, *range(505, 600)})
ERROR_TEXT_LIMIT = 200  # of a webhook's answer, in the report


@dataclass(frozen=True)
class Answer:
    """A webhook's answer to one POST (any status: 2xx is success)."""

    status: int
    reason: str
    body: str
    retry_after: str | None = None


class AttemptFailed(Exception):
    """One attempt that got no answer (connection refused, reset, time-out...)."""


Post = Callable[[str, bytes, Mapping[str, str], float], Answer]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is an error to report, not a place to send the message again (urllib would turn
    the POST into a GET without the body)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_json(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
    """POST `body` to `url`; an HTTP error status is an Answer, no answer at all raises AttemptFailed."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            text = response.read(64 * 1024).decode("utf-8", errors="replace")
            return Answer(response.status, response.reason or "", text)
    except urllib.error.HTTPError as error:
        with error:
            text = error.read(64 * 1024).decode("utf-8", errors="replace")
        return Answer(error.code, str(error.reason or ""), text, error.headers.get("Retry-After"))
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise AttemptFailed(_describe(reason)) from None


def _describe(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "no answer (timed out)"
    if isinstance(reason, OSError) and reason.strerror:
        return f"no answer ({reason.strerror})"
    return f"no answer ({type(reason).__name__}: {reason})"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook address, or None: an https:// URL with a host (http:// only to this machine,
    for tests and local relays); no spaces or control characters."""
    if not url or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return "is empty or holds spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError:
        return "is not a URL"
    if not host:
        return "has no host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(host):
        return None
    return "is not an https:// URL (http:// is allowed only to localhost)"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class TargetReport:
    """What happened at one target."""

    target: NotifyTarget
    total: int  # messages to post
    posted: int = 0
    retries: int = 0  # attempts after the first, over all its messages
    skipped: str | None = None  # why it was not tried (its environment variable is unset)
    failure: str | None = None  # why it stopped
    failed_at: str | None = None  # the message it stopped at
    attempts: int = 0  # of that message

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def line(self) -> str:
        head = f"{self.target.name} ({self.target.format})"
        if self.skipped:
            return f"{head}: skipped: {self.skipped}"
        posted = f"{self.posted} of {self.total} {'update' if self.total == 1 else 'updates'} posted"
        if self.failure:
            tries = f" after {self.attempts} attempt{'s' if self.attempts != 1 else ''}" if self.attempts else ""
            return f"{head}: FAILED{tries}: {self.failure}; at {self.failed_at}; {posted}"
        retries = f" ({self.retries} {'retry' if self.retries == 1 else 'retries'})" if self.retries else ""
        return f"{head}: {posted}{retries}"


def retry_delay(retry: int, settings: NotifySettings, retry_after: str | None = None) -> float:
    """Seconds before retry number `retry` (1 for the first): the webhook's Retry-After if it gave one, else
    retry_delay_seconds doubled for each retry before; never more than max_retry_delay_seconds."""
    asked = _retry_after_seconds(retry_after) if retry_after else None
    delay = asked if asked is not None else settings.retry_delay_seconds * 2 ** (retry - 1)
    return max(0.0, min(delay, settings.max_retry_delay_seconds))


def _retry_after_seconds(value: str) -> float | None:
    """Retry-After (RFC 9110): seconds, or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return (when - datetime.now(UTC)).total_seconds()


def deliver(
    target: NotifyTarget,
    messages: list[tuple[str, str, dict[str, Any]]],
    settings: NotifySettings,
    *,
    environ: Mapping[str, str] = os.environ,
    post: Post = post_json,
    sleep: Callable[[float], None] = time.sleep,
) -> TargetReport:
    """Post each (message id, description, payload) to `target`, oldest first. It stops at the first message that
    fails for good, so the channel never shows a later update without an earlier one."""
    report = TargetReport(target, total=len(messages))
    url = environ.get(target.url_env)
    if url is None or url == "":
        report.skipped = f"{target.url_env} is not set (not configured here)"
        return report
    if problem := url_problem(url):
        report.failure = f"{target.url_env} {problem}"
        report.failed_at = "the first update"
        return report
    for message_id, description, body in messages:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "incidentkb-notify"}
        if target.format == "generic":
            headers["Idempotency-Key"] = message_id  # the same update is the same key, run after run
        attempts, failure = _send(url, data, headers, settings, post, sleep)
        report.retries += attempts - 1
        if failure is not None:
            report.failure, report.failed_at, report.attempts = _redacted(failure, url), description, attempts
            return report
        report.posted += 1
    return report


def _send(
    url: str,
    data: bytes,
    headers: Mapping[str, str],
    settings: NotifySettings,
    post: Post,
    sleep: Callable[[float], None],
) -> tuple[int, str | None]:
    """(attempts made, why it failed for good or None once posted)."""
    attempt = 0
    while True:
        attempt += 1
        retry_after = None
        try:
            answer = post(url, data, headers, settings.timeout_seconds)
        except AttemptFailed as error:
            failure = str(error)
        else:
            if 200 <= answer.status < 300:
                return attempt, None
            failure = _answer_text(answer)
            if answer.status not in RETRIED_STATUSES:
                return attempt, failure
            retry_after = answer.retry_after
        if attempt > settings.retries:
            return attempt, failure
        sleep(retry_delay(attempt, settings, retry_after))


def _answer_text(answer: Answer) -> str:
    said = " ".join(answer.body.split())[:ERROR_TEXT_LIMIT]
    reason = f" {answer.reason}" if answer.reason else ""
    redirect = " (redirects are not followed)" if 300 <= answer.status < 400 else ""
    return f"HTTP {answer.status}{reason}{redirect}" + (f": {said}" if said else "")


def _redacted(text: str, url: str) -> str:
    """`text` for a log: the URL, and its path and query (where webhook tokens live), never appear; control
    characters are shown as escapes."""
    parts = urlsplit(url)
    for secret in sorted({url, parts.path, parts.query, url.rstrip("/")}, key=len, reverse=True):
        if len(secret) > 1:
            text = text.replace(secret, "<webhook URL>")
    return visible(text)
