"""The editors' JSON Schemas agree with `casd validate`: the real yaml-language-server (from npm,
installed by .ci/run into .ci/editor) reports nothing on the committed dataset, and flags every
record-local error casd reports. Slow: ``python -m pytest -m slow tests/test_editor.py``."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from casd.model.records import TABLES
from conftest import ROOT

pytestmark = pytest.mark.slow
SERVER = ROOT / ".ci/editor/node_modules/.bin/yaml-language-server"


class LanguageServer:
    """A minimal LSP client over stdio: enough to open documents and collect diagnostics."""

    def __init__(self) -> None:
        if not SERVER.exists() or not shutil.which("node"):
            pytest.fail(f"the YAML language server is not installed: run `npm ci --prefix {SERVER.parents[2]}` (Node.js from Debian)")
        self.proc = subprocess.Popen([str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        while True:
            msg = self.receive()
            if msg.get("id") == wanted and "method" not in msg:
                return msg.get("result")

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while line := self.proc.stdout.readline().strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        msg: dict[str, Any] = json.loads(self.proc.stdout.read(length))
        if msg.get("method") == "textDocument/publishDiagnostics":
            self.diagnostics[msg["params"]["uri"]] = msg["params"]["diagnostics"]
        elif "id" in msg and "method" in msg:  # a request from the server: configuration, registration
            result: Any = [{"validate": True, "schemas": {}}] * len(msg.get("params", {}).get("items", [])) if msg["method"] == "workspace/configuration" else None
            self.send({"id": msg["id"], "result": result})
        return msg

    def check(self, files: dict[Path, str], timeout: float = 120) -> dict[Path, list[dict[str, Any]]]:
        """Diagnostics of each document, opened with a modeline naming its record schema."""
        self.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(), "capabilities": {}})
        self.send({"method": "initialized", "params": {}})
        self.send({"method": "workspace/didChangeConfiguration", "params": {"settings": {"yaml": {"validate": True, "schemas": {}}}}})
        uris = {}
        for path, table in files.items():
            schema = (ROOT / "schema/records" / f"{table}.json").as_uri()
            text = f"# yaml-language-server: $schema={schema}\n" + path.read_text(encoding="utf-8")
            uri = path.as_uri()
            uris[uri] = path
            self.send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}})
        deadline = time.monotonic() + timeout
        while set(uris) - set(self.diagnostics) and time.monotonic() < deadline:
            self.receive()
        missing = set(uris) - set(self.diagnostics)
        assert not missing, f"no diagnostics for {len(missing)} documents"
        return {uris[u]: d for u, d in self.diagnostics.items() if u in uris}

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_the_language_server_reports_nothing_on_the_committed_dataset():
    files = {p: p.parent.name for p in sorted((ROOT / "dataset").glob("*/*.yaml")) if p.parent.name in TABLES}
    server = LanguageServer()
    try:
        found = server.check(files)
    finally:
        server.close()
    noisy = {str(p.relative_to(ROOT)): [d["message"] for d in ds] for p, ds in found.items() if ds}
    assert not noisy, noisy


BROKEN = {
    "unknown field": ("events", "csto-summit-2014-12-23", lambda t: t + "colour: red\n"),
    "missing field": ("events", "csto-summit-2014-12-23", lambda t: t.replace("kind: summit\n", "")),
    "type": ("figures", "bishkek-raid-killed-4", lambda t: t.replace('value: "4"', "value: four")),
    "pattern": ("places", "bishkek", lambda t: t.replace("country: KGZ", "country: kgz")),
    "vocabulary": ("events", "csto-summit-2014-12-23", lambda t: t.replace("kind: summit", "kind: picnic")),
    "null": ("events", "csto-summit-2014-12-23", lambda t: t.replace("kind: summit", "kind: null")),
    "date": ("events", "bishkek-raid-2015-07-16", lambda t: t.replace("date: 2015-07-16", "date: 16/07/2015")),
}


def test_the_language_server_flags_every_record_local_error_casd_reports(tmp_path):
    from conftest import cli, make_project

    project = make_project(tmp_path / "proj")
    files = {}
    for kind, (table, rid, breaks) in BROKEN.items():
        src = project / "dataset" / table / f"{rid}.yaml"
        broken = tmp_path / "broken" / kind.replace(" ", "-") / table / f"{rid}.yaml"
        broken.parent.mkdir(parents=True)
        broken.write_text(breaks(src.read_text()))
        files[broken] = table
        copy = make_project(tmp_path / f"casd-{kind.replace(' ', '-')}")
        shutil.copy(broken, copy / "dataset" / table / f"{rid}.yaml")
        assert cli("validate", "-C", str(copy)).exit_code == 1, kind  # casd refuses it ...
    server = LanguageServer()
    try:
        found = server.check(files)
    finally:
        server.close()
    for path, diagnostics in found.items():  # ... and so does the editor
        assert diagnostics, f"the editor accepts {path.parent.parent.name}: {path.read_text()}"
