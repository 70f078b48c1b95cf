"""Editor help, proven with the real YAML language server (npm `yaml-language-server`) driven over stdio.

A record written by `incidentkb new` carries the `# yaml-language-server: $schema=...` modeline; with it the
server completes enum values and keys, shows each field's schema description on hover, and flags bad values.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVER = REPO / "tests" / "lsp" / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"


class LanguageServer:
    """A minimal LSP client: Content-Length framed JSON-RPC over the server's stdin and stdout."""

    def __init__(self, root: Path) -> None:
        assert SERVER.exists(), f"{SERVER} is missing: npm ci --prefix tests/lsp (bash scripts/test.sh runs it)"
        node = shutil.which("node")
        assert node, "node is needed to run the YAML language server"
        self.process = subprocess.Popen(
            [node, str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.settings = {
            "yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}}
        }
        self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": {
                    "textDocument": {
                        "completion": {"completionItem": {"documentationFormat": ["markdown", "plaintext"]}},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                    },
                    "workspace": {"configuration": True},
                },
            },
        )
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                return
            self.messages.put(json.loads(stream.read(int(headers["content-length"]))))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        request_id = self.next_id
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == request_id and "method" not in m)["result"]

    def wait(self, matches: Any, timeout: float = 30) -> dict[str, Any]:
        while True:
            message = self.messages.get(timeout=timeout)
            if "method" in message and "id" in message:  # a request from the server: answer it
                result = (
                    [self.settings["yaml"]] * len(message["params"].get("items", []))
                    if message["method"] == "workspace/configuration"
                    else None
                )
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
                continue
            if matches(message):
                return message

    def open(self, path: Path, text: str) -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": path.as_uri(), "languageId": "yaml", "version": 1, "text": text}},
        )

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def record(tmp_path: Path) -> Path:
    """A knowledge base with the repository's schemas, and a record written by `incidentkb new`."""
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "checkout.yaml").write_text(
        "id: checkout\nname: Checkout\nowner_team: payments\ntier: 1\npublic: {listed: true, name: Checkout}\nslo: {availability: 0.999}\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "--root",
            str(tmp_path),
            "new",
            "--title",
            "Checkout down",
            "--severity",
            "SEV2",
            "--service",
            "checkout",
            "--started-at",
            "2026-10-14T09:12:00Z",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    path = tmp_path / out.stdout.strip()
    assert path.read_text().startswith("# yaml-language-server: $schema=../../schemas/incident.schema.json\n")
    return path


@pytest.fixture
def server(tmp_path: Path) -> Any:
    language_server = LanguageServer(tmp_path)
    yield language_server
    language_server.close()


def _position(text: str, line_prefix: str) -> dict[str, int]:
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(line_prefix))
    return {"line": index, "character": len(lines[index])}


def test_enum_values_are_completed(record: Path, server: LanguageServer) -> None:
    text = record.read_text().replace("severity: SEV2", "severity: ")
    server.open(record, text)
    result = server.request(
        "textDocument/completion", {"textDocument": {"uri": record.as_uri()}, "position": _position(text, "severity:")}
    )
    labels = {item["label"] for item in (result["items"] if isinstance(result, dict) else result)}
    assert {"SEV1", "SEV2", "SEV3", "SEV4"} <= labels


def test_missing_keys_are_completed_with_their_help(record: Path, server: LanguageServer) -> None:
    text = record.read_text() + "\n"
    server.open(record, text)
    position = {"line": len(text.split("\n")) - 1, "character": 0}
    result = server.request("textDocument/completion", {"textDocument": {"uri": record.as_uri()}, "position": position})
    items = {item["label"]: item for item in (result["items"] if isinstance(result, dict) else result)}
    assert "root_cause" in items and "contributing_factors" in items
    assert "id" not in items  # already present


def test_hover_shows_the_schema_description(record: Path, server: LanguageServer) -> None:
    text = record.read_text()
    server.open(record, text)
    position = _position(text, "kind:")
    position["character"] = 1
    result = server.request("textDocument/hover", {"textDocument": {"uri": record.as_uri()}, "position": position})
    shown = result["contents"]["value"]
    assert shown.startswith("#### Kind")  # the schema's title
    assert "customers were not affected" in shown  # and its description


def test_bad_values_are_flagged(record: Path, server: LanguageServer) -> None:
    text = record.read_text().replace("status: investigating", "status: fixed")
    server.open(record, text)
    message = server.wait(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == record.as_uri()
            and m["params"]["diagnostics"]
        )
    )
    diagnostics = message["params"]["diagnostics"]
    status_line = _position(text, "status:")["line"]
    assert any(d["range"]["start"]["line"] == status_line and "investigating" in d["message"] for d in diagnostics), (
        diagnostics
    )
