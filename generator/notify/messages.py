"""One message per new public update, in each target's format: Slack's incoming-webhook JSON, a Microsoft Teams
Workflows message with an Adaptive Card, or our generic JSON (schemas/notification.schema.json).

Record text is untrusted. Slack reads `&`, `<` and `>` as its control characters (`<!channel>`, `<@U123>`,
`<https://...|a link>`), so every text is escaped to `&amp;`, `&lt;`, `&gt;` as Slack's formatting reference asks,
and record text goes into `plain_text` objects, where mrkdwn (`*bold*`, bare links) is not applied; the one mrkdwn
element is our own link. In the Teams card, record text goes into `TextRun`s of `RichTextBlock`s, which take no
Markdown (a `TextBlock` would read `[text](url)` as a link), and `{{` is broken with a zero-width space so that
`{{DATE(...)}}` is shown, not replaced by a date. The wording is generator/templates/notify/wording.txt.j2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.environment import TemplateModule

from generator.config import Settings
from generator.model import utc_timestamp
from generator.notify.changes import Notice
from generator.public import PublicMaintenance, PublicModel, announced_status
from generator.render.public_pages import entry_id

NOTIFICATION_VERSION = 1  # schemas/notification.schema.json's `version`
SLACK_HEADER_LIMIT = 150  # a header block's plain_text (Slack's Block Kit reference)
SLACK_TEXT_LIMIT = 3000  # a section's text, and what we keep of the top-level fallback


@dataclass(frozen=True)
class ServiceImpact:
    id: str
    name: str
    impact: str | None  # the worst level in force on it at the update's time; None: none in force


@dataclass(frozen=True)
class Message:
    """What one message says, before any format's escaping: every text as plain text."""

    id: str  # the feed entry's tag: URI
    kind: str  # incident or maintenance
    record_id: str
    title: str
    status: str  # the update's status as written
    phase: str  # the lifecycle phase it announces
    at: datetime
    message: str
    next_update_at: datetime | None
    url: str  # the record's public history page
    services: tuple[ServiceImpact, ...]
    site_name: str
    site_url: str
    zone: tzinfo  # the report's time zone, in which the site shows times too


def message_for(notice: Notice, model: PublicModel, settings: Settings) -> Message:
    item, update = notice.item, notice.update
    names = {s.id: s.name for s in model.services}
    return Message(
        id=entry_id(settings, item.id, update.at),
        kind=notice.kind,
        record_id=item.id,
        title=item.title,
        status=update.status,
        phase=announced_status(update, settings.vocabulary),
        at=update.at,
        message=update.message,
        next_update_at=update.next_update_at,
        url=f"{settings.public_url}history/{item.id}/",
        services=tuple(
            ServiceImpact(s, names.get(s, s), _impact_at(notice, s, settings.vocabulary.impact_levels))
            for s in item.services
        ),
        site_name=settings.site_name,
        site_url=settings.public_url,
        zone=settings.zone,
    )


def _impact_at(notice: Notice, service: str, levels: tuple[str, ...]) -> str | None:
    """The worst impact level in force on `service` when the update was published (levels: mildest first)."""
    item = notice.item
    windows = item.windows if isinstance(item, PublicMaintenance) else item.impact
    at = notice.update.at
    in_force = [
        w.level
        for w in windows
        if w.service == service and w.level in levels and w.start <= at and (w.end is None or at < w.end)
    ]
    return max(in_force, key=levels.index, default=None)


def payload(message: Message, format: str) -> dict[str, Any]:
    return {"slack": slack_payload, "teams": teams_payload, "generic": generic_payload}[format](message)


# --- the wording -------------------------------------------------------------------------------------------


@cache
def _wording() -> TemplateModule:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # plain text: each format escapes the result for where it goes
        keep_trailing_newline=False,
    )
    env.filters["label"] = lambda word: str(word).replace("_", " ")
    env.filters["when"] = _when
    return env.get_template("notify/wording.txt.j2").module


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M %Z}"


def _local(message: Message) -> Message:
    """The message with its times in the report's time zone, as the public site shows them."""
    local = message.next_update_at.astimezone(message.zone) if message.next_update_at else None
    return replace(message, at=message.at.astimezone(message.zone), next_update_at=local)


def wording(message: Message, part: str) -> str:
    """One part of the message's wording (a macro of notify/wording.txt.j2), as plain text on one line."""
    return str(getattr(_wording(), part)(_local(message))).strip()


# --- Slack ---------------------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters as the entities Slack asks for: `<!channel>` or `<url|text>` in record
    text is shown as written, never a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_clip(text: str, limit: int) -> str:
    """`text` escaped, cut (with an ellipsis) so that the escaped text fits `limit`."""
    escaped = slack_escape(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    size = 0
    for char in text:
        piece = slack_escape(char)
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + "…"


def _plain(text: str, limit: int = SLACK_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": _slack_clip(text, limit), "emoji": False}


def slack_payload(message: Message) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` (the notification and fallback) and Block Kit `blocks`."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(wording(message, "headline"), SLACK_HEADER_LIMIT)},
        {"type": "context", "elements": [_plain(wording(message, "status_line"))]},
        {"type": "section", "text": _plain(message.message)},
    ]
    if next_update := wording(message, "next_update"):
        blocks.append({"type": "context", "elements": [_plain(next_update)]})
    # Our own mrkdwn: the URL is built from public.site_url (validated: no `|` or `>`) and a record id.
    link = f"<{message.url}|{slack_escape(wording(message, 'link_text'))}>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    return {
        "text": _slack_clip(wording(message, "fallback"), SLACK_TEXT_LIMIT),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


# --- Microsoft Teams ---------------------------------------------------------------------------------------


def teams_text(text: str) -> str:
    """Text for a TextRun (which takes no Markdown), with `{{` broken so no DATE()/TIME() function applies."""
    return text.replace("{{", "{\u200b{")


def _run_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": teams_text(text), **style}]}


def teams_payload(message: Message) -> dict[str, Any]:
    """A message for a Teams Workflows webhook ("When a Teams webhook request is received"): one Adaptive Card."""
    body = [
        _run_block(wording(message, "headline"), size="Large", weight="Bolder"),
        _run_block(wording(message, "status_line"), isSubtle=True),
        _run_block(message.message),
    ]
    if next_update := wording(message, "next_update"):
        body.append(_run_block(next_update, isSubtle=True))
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": teams_text(wording(message, "link_text")), "url": message.url}],
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


# --- generic -------------------------------------------------------------------------------------------------


def generic_payload(message: Message) -> dict[str, Any]:
    """Our own JSON, described by schemas/notification.schema.json: values as published, times in UTC with Z."""
    return {
        "version": NOTIFICATION_VERSION,
        "id": message.id,
        "record": {"id": message.record_id, "kind": message.kind, "title": message.title, "url": message.url},
        "update": {
            "at": utc_timestamp(message.at.astimezone(UTC)),
            "status": message.status,
            "phase": message.phase,
            "message": message.message,
            "next_update_at": utc_timestamp(message.next_update_at) if message.next_update_at else None,
        },
        "services": [{"id": s.id, "name": s.name, "impact": s.impact} for s in message.services],
        "site": {"name": message.site_name, "url": message.site_url},
    }
