"""`incidentkb serve` builds an edit alone, and the site it serves is still what a full build makes.

The real builder that serve runs (generator.serve.LivePreview: on_change() is the server's builder, which shows
the edited record's own pages at once and has the rest built by a thread), on a copy of the example knowledge
base at a fixed cut-off. After each edit (a title, an added update, a new record, a deleted one, a record made
invalid and valid again, hostile files, an edit during a rebuild) the served folder is compared, file by file,
with a fresh full build of the same records at the same cut-off (what `incidentkb build --as-of` runs). The pages that summarise an edited record
(its month, the home page, lessons, runbooks) must show its new title, and none its old one. With the regeneration
held back, the pages the quick steps alone built (the edited record's own pages, then those that summarise it,
some spliced row by row) must already be what a full build makes of the edit, the monthly reports aside.
"""

from __future__ import annotations

import gzip
import html
import io
import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support import AS_OF, copy_kb, tree_digest

from generator.knowledge_base import KnowledgeBase
from generator.output import SITE_MARKER
from generator.serve import LivePreview
from generator.site import build_with_mkdocs, generate_internal

# Pagefind's bundle differs between two full builds of the same site (its file names and chunks), so it is compared
# by what it says: the texts of its page fragments.
BUNDLE = "pagefind/"
WAIT = 900.0  # seconds a rebuild may take before the test fails (a stuck thread), not a measurement
BANNER_ID = "incidentkb-findings"
TITLE = re.compile(r"^title: (.*)$", re.M)
ID = re.compile(r"^id: (\S+)$", re.M)


class Session:
    """A LivePreview on a knowledge base in tmp_path, what it printed, and full builds to compare it with."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.kb = copy_kb(tmp_path / "kb")
        config = self.kb / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        assert text.count("\n  - incidentkb\n") == 1
        config.write_text(text.replace("\n  - incidentkb\n", f"\n  - incidentkb:\n      as_of: '{AS_OF}'\n"))
        (tmp_path / "scratch").mkdir()
        self.out, self.err = io.StringIO(), io.StringIO()
        self.live = LivePreview(config, "127.0.0.1:0", tmp_path / "scratch", out=self.out, err=self.err, jobs=2)
        # What serve watches (its plugin's on_serve and the server itself).
        self.live.watched = [
            str(self.kb / p) for p in ("incidents", "services", "docs", "mkdocs.yml", "incidentkb.yml")
        ]
        self.builds = 0

    @property
    def site(self) -> Path:
        return self.live.site_dir.resolve()

    def settle(self) -> str:
        """Tell the builder that files changed, as the server does, and wait until it has built them all."""
        self.live.on_change()
        assert self.live.wait_until_built(timeout=WAIT), f"no rebuild finished\n{self.output()}"
        return self.live.last_line

    def full_build(self) -> tuple[dict[str, str], set[str]]:
        self.builds += 1
        site = self.tmp / f"full-{self.builds}"
        # What `incidentkb build --as-of` runs (cli.run_build), in this process: the same code as the session's,
        # even while the generator's files are being edited by someone else.
        pages, _ = generate_internal(KnowledgeBase(self.kb), datetime.fromisoformat(AS_OF), 2)
        build_with_mkdocs(self.kb / "mkdocs.yml", site, pages, self.kb, jobs=2)
        digest = tree_digest(site, lambda rel: rel == SITE_MARKER or rel.startswith(BUNDLE))
        fragments = search_fragments(site)
        shutil.rmtree(site)
        return digest, fragments

    def assert_as_built(self, step: str) -> None:
        served = tree_digest(self.site, lambda rel: rel.startswith(BUNDLE))
        full, fragments = self.full_build()
        differ = sorted(path for path in served.keys() | full.keys() if served.get(path) != full.get(path))
        assert not differ, f"after {step}, {len(differ)} files differ from a full build: {differ[:20]}\n{self.output()}"
        assert search_fragments(self.site) == fragments, f"after {step}, the search index is not a full build's"

    def page(self, url: str) -> str:
        return (self.site / url / "index.html").read_text(encoding="utf-8")

    def pages_showing(self, text: str) -> set[str]:
        """The generated pages (not the authored ones of docs/, which may quote a title) whose HTML shows `text`."""
        generated = {html_of(path) for path in self.live.preview.pages or {} if path.endswith(".md")}
        return {page for page in generated if text in html.unescape((self.site / page).read_text(encoding="utf-8"))}

    def output(self) -> str:
        return f"--- out\n{self.out.getvalue()[-4000:]}\n--- err\n{self.err.getvalue()[-4000:]}"


def html_of(page: str) -> str:
    """Where a page's HTML is (use_directory_urls): incidents/x.md -> incidents/x/index.html."""
    stem = page.removesuffix(".md")
    return f"{stem}.html" if stem == "index" or stem.endswith("/index") else f"{stem}/index.html"


def search_fragments(site: Path) -> set[str]:
    """What the Pagefind index holds of each page (its fragments, decompressed); none without Pagefind."""
    return {gzip.decompress(path.read_bytes()).decode() for path in (site / BUNDLE).rglob("*.pf_fragment")}


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # the sitemap's and footer's build date, in both builds
    live = Session(tmp_path)
    live.live.rebuild()
    assert re.fullmatch(r"built in .+; 0 error\(s\), [0-9]+ warning\(s\)", live.live.last_line), live.output()
    yield live
    live.live.stop()


def save(record: Path, text: str) -> None:
    """As an editor saves: the new text by rename."""
    draft = record.with_name(f".{record.name}.draft")
    draft.write_text(text, encoding="utf-8")
    os.replace(draft, record)


def test_every_edit_serves_what_a_full_build_makes(session: Session) -> None:
    kb = session.kb
    session.assert_as_built("the first build")
    records = sorted((kb / "incidents").rglob("*.yaml"))

    # A title: the post-mortem shows it at once (the quick preview), then every page that showed the old one.
    record = records[-2]
    text = record.read_text(encoding="utf-8")
    old_title = TITLE.search(text)
    found_id = ID.search(text)
    assert old_title and found_id
    incident_id = found_id.group(1)
    summarising = session.pages_showing(old_title.group(1))
    assert {f"incidents/{incident_id}/index.html", "index.html"} <= summarising, summarising
    new_title = "Preview test, the edited title"
    save(record, TITLE.sub(f"title: {new_title}", text, count=1))
    session.live.on_change()
    assert new_title in session.page(f"incidents/{incident_id}"), "the quick preview did not build the post-mortem"
    assert re.search(r"^previewed in [0-9.]+ s: 1 file changed \(", session.out.getvalue(), re.M), session.output()
    assert session.live.wait_until_built(timeout=WAIT)
    assert re.fullmatch(
        r"rebuilt in .+: 1 file changed \(.+\); 0 error\(s\), [0-9]+ warning\(s\)", session.live.last_line
    )
    assert session.pages_showing(new_title) == summarising
    assert not session.pages_showing(old_title.group(1))
    session.assert_as_built("a title edit")

    # An update added to another record.
    record = records[0]
    text = record.read_text(encoding="utf-8")
    first = re.search(r"^updates:\n  - at: (\S+)\n    status: (\S+)\n.*\n", text, re.M)
    assert first, "the example record has no update to add one after"
    at = first.group(1).replace("T20:06:", "T20:16:")
    assert at != first.group(1), "the test expects the first update of the first record at 20:06"
    added = f"  - at: {at}\n    status: {first.group(2)}\n    message: Preview test, an added update.\n"
    save(record, text[: first.end()] + added + text[first.end() :])
    assert re.fullmatch(r"rebuilt in .+; 0 error\(s\), .+", session.settle()), session.output()
    assert "Preview test, an added update." in html.unescape(session.page(f"incidents/{ID.search(text).group(1)}"))  # type: ignore[union-attr]
    session.assert_as_built("an added update")

    # A new record, then a record deleted: the set of pages changes (a full build).
    model = records[-3]
    text = model.read_text(encoding="utf-8")
    model_id = ID.search(text)
    assert model_id
    new_id = re.sub(r"[0-9]+$", "099", model_id.group(1))
    copy = model.with_name(model.name.replace(".yaml", "-copy.yaml"))
    save(copy, ID.sub(f"id: {new_id}", text, count=1))
    assert re.fullmatch(r"rebuilt in .+; 0 error\(s\), .+", session.settle()), session.output()
    assert (session.site / "incidents" / new_id / "index.html").is_file()
    session.assert_as_built("a new record")
    records[1].unlink()
    assert re.fullmatch(r"rebuilt in .+; 0 error\(s\), .+", session.settle()), session.output()
    session.assert_as_built("a deleted record")

    # Invalid, then valid again: the site stays the last valid one, served with the findings above every page.
    before = tree_digest(session.site)
    broken = records[2]
    good = broken.read_text(encoding="utf-8")
    save(broken, re.sub(r"^severity: SEV[1-4]$", "severity: SEV9", good, count=1, flags=re.M))
    assert re.fullmatch(r"rebuilt in .+; 1 error\(s\), .+", session.settle()), session.output()
    assert tree_digest(session.site) == before
    home = session.live.with_findings((session.site / "index.html").read_bytes()).decode()
    assert BANNER_ID in home and "SEV9" in html.unescape(home)
    save(broken, good)
    assert re.fullmatch(r"rebuilt in .+; 0 error\(s\), .+", session.settle()), session.output()
    assert BANNER_ID not in session.live.with_findings((session.site / "index.html").read_bytes()).decode()
    session.assert_as_built("a record made valid again")


class HeldRegeneration:
    """The follower thread stopped where it would generate the whole knowledge base again, until released: what
    the served site shows meanwhile is what the quick steps built (generator/preview.py QuickPreview)."""

    def __init__(self, live: LivePreview, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reached, self.released = threading.Event(), threading.Event()
        regenerate = live._regenerate

        def held(started: float, changed: list[str] | None) -> None:
            self.reached.set()
            if self.released.wait(WAIT):
                regenerate(started, changed)

        monkeypatch.setattr(live, "_regenerate", held)

    def release(self, live: LivePreview) -> None:
        self.reached.clear()
        self.released.set()
        assert live.wait_until_built(timeout=WAIT), "the regeneration did not finish"
        self.released.clear()


@pytest.fixture
def held(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldRegeneration]:
    held = HeldRegeneration(session.live, monkeypatch)
    yield held
    held.released.set()  # a failed test leaves no follower waiting: the session's stop() joins it


def test_the_pages_summarising_an_edit_are_a_full_builds_before_the_regeneration(
    session: Session, held: HeldRegeneration
) -> None:
    """An edit's summarising pages (home, incidents index, runbooks, lessons, action items, metrics) are built from
    the last generation's analysis made again for the edit, before the whole knowledge base is generated again. With
    that regeneration held, the served site is what a full build makes of the edit, but for the monthly reports
    (they wait for it)."""
    incidents = session.kb / "incidents"
    recent = sorted(incidents.rglob("*.yaml"))[-2]  # listed on the home page, and ongoing: on the incidents index
    spike = incidents / "2026" / "2026-10-08-search-slow-during-traffic-spike.yaml"
    new_title = "Preview test, a summarised title"

    def severity_and_tag(text: str) -> str:
        text, severities = re.subn(r"^severity: SEV3$", "severity: SEV4", text, count=1, flags=re.M)
        text, tags = re.subn(r"^(tags: \[.*)\]$", r"\1, database]", text, count=1, flags=re.M)
        assert severities == tags == 1, "the example record's severity or tags line changed"
        return text

    def title_summarised() -> None:  # the pages the brief names show it (the comparison holds them to a full build)
        text = recent.read_text(encoding="utf-8")
        service = re.search(r"^services: \[(\w[\w-]*)", text, re.M)
        assert service, "the example record's services line changed"
        showing = session.pages_showing(new_title)
        assert {"index.html", "incidents/index.html", f"runbooks/{service.group(1)}/index.html"} <= showing, showing
        assert any(page.startswith("lessons/by-root-cause/") for page in showing), showing

    edits = [
        ("a title", recent, lambda text: TITLE.sub(f"title: {new_title}", text, count=1), title_summarised),
        ("a severity and a tag", spike, severity_and_tag, lambda: None),
    ]
    for step, record, change, check in edits:
        save(record, change(record.read_text(encoding="utf-8")))
        session.live.on_change()
        assert held.reached.wait(WAIT), f"after {step}, the follower never reached the regeneration"
        shown = re.escape(record.relative_to(session.kb).as_posix())
        summaries = rf"^previewed summaries in [0-9.]+ s: 1 file changed \({shown}\); [0-9]+ pages$"
        assert re.search(summaries, session.out.getvalue(), re.M), f"{step}: no summaries built\n{session.output()}"
        served = tree_digest(session.site, lambda rel: rel.startswith(BUNDLE))
        full, _ = session.full_build()
        differ = sorted(path for path in served.keys() | full.keys() if served.get(path) != full.get(path))
        assert all(path.startswith("reports/") for path in differ), f"{step}: {differ[:20]}\n{session.output()}"
        site = session.live.site
        assert site is not None and site.provisional, f"{step}: no page's table rows were spliced (preview.py)"
        check()
        held.release(session.live)
        session.assert_as_built(step)


def test_hostile_files_and_an_edit_during_a_rebuild(session: Session) -> None:
    kb = session.kb
    before = tree_digest(session.site)
    folder = kb / "incidents" / "2026"
    fifo = folder / "2026-11-30-a-fifo.yaml"
    os.mkfifo(fifo)
    (folder / "2026-11-30-a-link.yaml").symlink_to("/etc/passwd")
    line = session.settle()
    assert re.fullmatch(r"rebuilt in .+: 2 files changed \(.+\); 2 error\(s\), .+", line), session.output()
    assert tree_digest(session.site) == before
    fifo.unlink()
    (folder / "2026-11-30-a-link.yaml").unlink()
    assert re.fullmatch(r"rebuilt in .+; 0 error\(s\), .+", session.settle()), session.output()

    # Two saves of one record while the first is still being built: the site ends with the second.
    record = sorted(folder.glob("*.yaml"))[3]
    text = record.read_text(encoding="utf-8")
    found_id = ID.search(text)
    assert found_id
    save(record, TITLE.sub("title: Preview test, first save", text, count=1))
    session.live.on_change()
    save(record, TITLE.sub("title: Preview test, second save", text, count=1))
    assert re.fullmatch(r"rebuilt in .+; 0 error\(s\), .+", session.settle()), session.output()
    page = html.unescape(session.page(f"incidents/{found_id.group(1)}"))
    assert "Preview test, second save" in page and "Preview test, first save" not in page
    # A record removed between the change and the build: nothing crashes, nothing of it stays.
    record.unlink()
    session.live.on_change()
    assert session.live.wait_until_built(timeout=WAIT)
    assert not (session.site / "incidents" / found_id.group(1)).exists()
    session.assert_as_built("hostile files and edits during rebuilds")
