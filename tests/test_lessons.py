"""The lessons-learned indexes and the action tracker: what each view, group page and tracker section lists,
checked against the records themselves (not against the analysis that made them).

A view page summarises its groups; each group's page lists every incident of the group; the by-service view
sends the reader to the runbook, whose known failure modes list the same incidents.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from support import AS_OF, REPO

from generator.analyze import lessons
from generator.analyze.internal import analyze_internal
from generator.knowledge_base import KnowledgeBase
from generator.model import KnowledgeBaseModel, parse_time
from generator.render.pages import group_page, render_analysis
from generator.site import generate_internal, load_knowledge_base

CUTOFF = datetime.fromisoformat(AS_OF.replace("Z", "+00:00"))
TODAY = CUTOFF.date()
INCIDENT_LINK = re.compile(r"\(((?:\.\./)+)incidents/(INC-[^)]+)\.md\)")


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return generate_internal(KnowledgeBase(REPO), CUTOFF)[0]


@pytest.fixture(scope="module")
def records() -> list[dict]:  # type: ignore[type-arg]
    loaded = load_knowledge_base(KnowledgeBase(REPO), CUTOFF)
    return [dict(i.record) for i in loaded.model.incidents]


def linked_incidents(markdown: str) -> list[str]:
    return [m.group(2) for m in INCIDENT_LINK.finditer(markdown)]


def table_part(page: str) -> str:
    """The page from its incident table on (the text above it names the latest incident of other pages)."""
    return page[page.index("| Incident |") :]


# What each view files an incident under, read straight from the record.
def keys_from_record(slug: str, record: dict) -> set[str]:  # type: ignore[type-arg]
    def section(name: str) -> dict:  # type: ignore[type-arg]
        return record.get(name) or {}

    match slug:
        case "by-service":
            return set(record["services"]) if record["kind"] != "maintenance" else set()
        case "by-root-cause":
            return {section("root_cause").get("category") or "not recorded"}
        case "by-contributing-factor":
            return {f["category"] for f in record.get("contributing_factors") or ()}
        case "by-defence-layer":
            return {d["layer"] for d in record.get("failed_defences") or ()}
        case "by-detection":
            return {section("detection").get("method") or "not recorded"}
        case "by-trigger":
            return {section("trigger").get("kind") or "not recorded"}
        case "by-change":
            return {c["kind"] for c in record.get("changes") or ()}
        case "by-escape-reason":
            return set(section("escape").get("reasons") or ())
        case "by-tag":
            return set(record.get("tags") or ())
    raise AssertionError(f"no record reading for view {slug}")


@pytest.mark.parametrize("slug", [v[0] for v in lessons.VIEW_DEFINITIONS])
def test_every_group_lists_exactly_its_incidents(slug: str, pages: dict[str, str], records: list[dict]) -> None:  # type: ignore[type-arg]
    expected: dict[str, set[str]] = {}
    for record in records:
        for key in keys_from_record(slug, record):
            expected.setdefault(key, set()).add(record["id"])
    assert expected, f"the example knowledge base files nothing under {slug}: the test would prove nothing"
    view_page = pages[f"lessons/{slug}.md"]
    for key, ids in expected.items():
        if slug == "by-service":
            assert f"(../runbooks/{key}.md#known-failure-modes)" in view_page
            runbook = pages[f"runbooks/{key}.md"]
            listed = runbook[runbook.index("## Known failure modes") : runbook.index("## Open action items")]
        else:
            assert f"({group_page(slug, key)})" in view_page
            listed = table_part(pages[f"lessons/{group_page(slug, key)}"])
        found = linked_incidents(listed)
        assert sorted(found) == sorted(ids), f"{slug} / {key}"  # each once, none missing, none extra
        row = next(line for line in view_page.splitlines() if line.startswith(f"| [{key.replace('_', ' ')}]("))
        assert row.split("|")[2].strip() == str(len(ids)), row
    group_pages = {p for p in pages if p.startswith(f"lessons/{slug}/")}
    if slug != "by-service":
        assert group_pages == {f"lessons/{group_page(slug, k)}" for k in expected}


def test_group_pages_list_newest_first_and_link_back(pages: dict[str, str], records: list[dict]) -> None:  # type: ignore[type-arg]
    started = {r["id"]: parse_time(r["started_at"]) for r in records}
    page = pages["lessons/by-root-cause/configuration.md"]
    ids = linked_incidents(table_part(page))
    assert len(ids) >= 2
    assert [started[i] for i in ids] == sorted((started[i] for i in ids), reverse=True)
    assert "(../by-root-cause.md)" in page
    assert all(m.group(1) == "../../" for m in INCIDENT_LINK.finditer(page))


def test_summaries_agree_with_the_records(pages: dict[str, str], records: list[dict]) -> None:  # type: ignore[type-arg]
    page = pages["lessons/by-root-cause.md"]
    for key in {(r.get("root_cause") or {}).get("category") or "not recorded" for r in records}:
        mine = [r for r in records if ((r.get("root_cause") or {}).get("category") or "not recorded") == key]
        severe = sum(r["severity"] in ("SEV1", "SEV2") for r in mine)
        latest = max(mine, key=lambda r: (parse_time(r["started_at"]), r["id"]))
        row = next(line for line in page.splitlines() if line.startswith(f"| [{key.replace('_', ' ')}]"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == str(len(mine)) and cells[3] == str(severe), row
        assert latest["id"] in cells[5] and parse_time(latest["started_at"]).isoformat()[:10] in cells[5], row  # type: ignore[union-attr]


def test_summary_counts_recent_severe_and_median(records: list[dict]) -> None:  # type: ignore[type-arg]
    incidents = load_knowledge_base(KnowledgeBase(REPO), CUTOFF).model.incidents[:4]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    today = date(2025, 6, 1)
    made = [
        replace(incidents[0], severity="SEV1", started_at=start, mitigated_at=start + timedelta(minutes=10)),
        replace(incidents[1], severity="SEV3", started_at=datetime(2024, 6, 1, 23, tzinfo=UTC), mitigated_at=None),
        replace(
            incidents[2],
            severity="SEV2",
            started_at=datetime(2024, 6, 2, tzinfo=UTC),  # 364 days before today: recent
            mitigated_at=datetime(2024, 6, 2, 1, tzinfo=UTC),
        ),
        replace(incidents[3], severity="SEV4", started_at=start, mitigated_at=start + timedelta(minutes=30)),
    ]
    summary = lessons.summarize(lessons.Group("x", tuple(made)), today)
    assert summary.count == 4
    assert summary.recent == 1  # 2024-06-01 is 365 days back: not in the last 12 months
    assert summary.severe == 2
    assert summary.median_minutes_to_mitigate == statistics.median([10, 60, 30])
    assert summary.latest is made[-1]


def test_recurring_patterns_name_the_latest_first(pages: dict[str, str]) -> None:
    model = load_knowledge_base(KnowledgeBase(REPO), CUTOFF).model
    patterns = lessons.recurring_patterns(model)
    assert any(len(p.incidents) > lessons.LATEST_COUNT for p in patterns), "no pattern long enough to cut"
    for p in patterns:
        assert list(p.latest) == list(reversed(p.incidents))[: lessons.LATEST_COUNT]
        row = next(
            line
            for line in pages["lessons/index.md"].splitlines()
            if line.startswith(f"| [{p.service}]") and f"| {p.dimension} | {p.category.replace('_', ' ')} |" in line
        )
        assert f"| {len(p.incidents)} |" in row
        assert linked_incidents(row) == [i.id for i in p.latest]


def test_near_misses_have_their_own_page(pages: dict[str, str], records: list[dict]) -> None:  # type: ignore[type-arg]
    near = {r["id"] for r in records if r["kind"] == "near_miss"}
    assert near
    assert sorted(linked_incidents(table_part(pages["lessons/near-misses.md"]))) == sorted(near)
    assert "(near-misses.md)" in pages["lessons/index.md"]


def test_tracker_lists_recent_closed_items_and_counts_all(pages: dict[str, str], records: list[dict]) -> None:  # type: ignore[type-arg]
    since = TODAY - timedelta(days=lessons.RECENTLY_CLOSED_DAYS)
    closed = [
        (item, r) for r in records for item in r.get("action_items") or () if item["status"] in ("done", "wont_do")
    ]
    recent = [
        item["title"]
        for item, r in closed
        if (date.fromisoformat(item["due"]) if item.get("due") else parse_time(r["started_at"]).date()) >= since
    ]
    old = [item["title"] for item, _ in closed if item["title"] not in recent]
    assert recent and old, "the example knowledge base needs closed items on both sides of the cut-off"
    page = pages["actions.md"]
    listed = page[page.index("## Recently closed") : page.index("## Closed by year")]
    for title in recent:
        assert title[:40] in listed.replace("\\", ""), title
    for title in old:
        assert title[:40] not in listed.replace("\\", ""), title
    by_year = page[page.index("## Closed by year") :]
    counted = sum(int(d) + int(w) for d, w in re.findall(r"^\| \d{4} \| (\d+) \| (\d+) \|$", by_year, re.M))
    assert counted == len(closed)


def test_tags_on_a_post_mortem_open_their_group_page(pages: dict[str, str], records: list[dict]) -> None:  # type: ignore[type-arg]
    tagged = next(r for r in records if r.get("tags"))
    page = pages[f"incidents/{tagged['id']}.md"]
    for tag in tagged["tags"]:
        target = f"lessons/{group_page('by-tag', tag)}"
        assert f"(../{target})" in page and target in pages
        assert tagged["id"] in linked_incidents(pages[target])


def test_a_group_never_takes_its_views_address() -> None:
    """lessons/by-tag/index.md would be built to lessons/by-tag/, where the by-tag view page is."""
    assert group_page("by-tag", "index") not in ("by-tag/index.md", "by-tag/README.md")
    assert group_page("by-tag", "index") != group_page("by-tag", "index-")
    assert group_page("by-tag", "search-index") == "by-tag/search-index.md"
    assert group_page("by-tag", "a--b") != group_page("by-tag", "a-b")
    assert group_page("by-root-cause", "code_defect") == "by-root-cause/code-defect.md"


def test_a_view_page_holds_one_row_per_group_at_any_size() -> None:
    """The lists are on the group pages: a view page does not grow with the number of incidents."""
    model = load_knowledge_base(KnowledgeBase(REPO), CUTOFF).model
    many = replace(
        model,
        incidents=tuple(replace(i, id=f"{i.id}-{n}", action_items=()) for n in range(100) for i in model.incidents),
    )

    def view_pages(m: KnowledgeBaseModel) -> dict[str, str]:
        """Each view's page, from one rendering of the whole internal site (not one per view)."""
        site = render_analysis(analyze_internal(m, TODAY, {}), weights={})
        return {v.slug: site[f"lessons/{v.slug}.md"] for v in lessons.index_views(m, TODAY)}

    small, large = view_pages(model), view_pages(many)
    for slug in small:
        assert large[slug].count("\n") == small[slug].count("\n"), slug
        for before, after in zip(small[slug].splitlines(), large[slug].splitlines(), strict=True):
            assert len(after) <= len(before) + 12, after  # only the counts and the latest ids grew
