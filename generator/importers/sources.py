"""Reading what an import reads: JSON files, a folder of them, or a Statuspage page over HTTPS; a CSV and its
mapping. Each is read whole, within a size limit, only if it is a regular file (an export handed over may hold a
link to a secret or a FIFO), and bad JSON is reported at its line and column."""

from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from generator.importers import SourceError

MAX_SOURCE_BYTES = 64 * 1024 * 1024  # a Statuspage export of years of incidents is a few MB
STATUSPAGE_ENDPOINTS = ("summary.json", "components.json", "incidents.json", "scheduled-maintenances.json")
_TIMEOUT_SECONDS = 30


def read_text(path: Path) -> str:
    """A regular file's text (UTF-8, a BOM dropped), or SourceError saying why not."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise SourceError(f"{path}: not a regular file; not read")
        data = os.read(descriptor, MAX_SOURCE_BYTES + 1)
        while len(data) <= MAX_SOURCE_BYTES and (chunk := os.read(descriptor, MAX_SOURCE_BYTES + 1 - len(data))):
            data += chunk
    finally:
        os.close(descriptor)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{path}: more than {MAX_SOURCE_BYTES // (1024 * 1024)} MB; not read")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 (byte {exc.start})") from None


def parse_json(text: str, shown: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{shown}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None


def json_documents(source: str) -> list[tuple[str, Any]]:
    """(name, parsed JSON) of a file, of every .json file in a folder, or of a Statuspage page's API at a URL."""
    if source.startswith(("https://", "http://")):
        return _statuspage_over_http(source)
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
        if not files:
            raise SourceError(f"{path}: no .json files in this folder")
    elif path.exists():
        files = [path]
    else:
        raise SourceError(f"{path}: no such file or folder")
    return [(str(file), parse_json(read_text(file), str(file))) for file in files]


def _statuspage_over_http(url: str) -> list[tuple[str, Any]]:
    """The page's public API v2 documents (Statuspage serves them without authentication)."""
    base = url.rstrip("/")
    base = base.removesuffix("/api/v2")
    documents = []
    for endpoint in STATUSPAGE_ENDPOINTS:
        address = f"{base}/api/v2/{endpoint}"
        request = urllib.request.Request(address, headers={"Accept": "application/json", "User-Agent": "incidentkb"})
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                data = response.read(MAX_SOURCE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and endpoint != "incidents.json":
                continue  # an older page may not serve every endpoint; incidents are the one we need
            raise SourceError(f"{address}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(f"{address}: cannot be fetched: {reason}") from None
        if len(data) > MAX_SOURCE_BYTES:
            raise SourceError(f"{address}: more than {MAX_SOURCE_BYTES // (1024 * 1024)} MB; not read")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{address}: not UTF-8 (byte {exc.start})") from None
        documents.append((address, parse_json(text, address)))
    return documents
