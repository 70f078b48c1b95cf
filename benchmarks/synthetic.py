"""A deterministic synthetic knowledge base for benchmarks: services plus N post-mortem-sized incident records.

Every record is about 5 KB of YAML written the way people write records by hand (block mappings, folded prose,
plain timestamps), uses most sections of schemas/incident.schema.json, and passes the policy rules of
generator/validate.py when judged on DEFAULT_TODAY. With --invalid-share, that share of the incident records gets
exactly one schema error each (several kinds, among them date-times that match the pattern but are not real
dates, so only a format check catches them); manifest.json lists them with the line an error must point at.

    python benchmarks/synthetic.py --count 10000 --out DIR [--seed 1] [--invalid-share 0.0]

The same seed and count give the same files byte for byte; a record's content does not depend on the invalid
share (only the mutation is added), so a valid and an invalid corpus differ only in the mutated records.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DEFAULT_TODAY = date(2026, 11, 23)  # the --as-of the corpus is valid for: no action item is overdue then
FIRST_DAY = datetime(2017, 1, 1, tzinfo=UTC)
LAST_DAY = datetime(2026, 11, 16, tzinfo=UTC)
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/incident.schema.json"

# --- services -----------------------------------------------------------------------------------------------

# id, name, team, tier, public name (None: not listed); a service depends only on services listed before it,
# so the dependency graph has no cycles.
_SERVICES = [
    ("postgres-main", "Primary PostgreSQL cluster", "team-data-platform", 1, None),
    ("redis-cache", "Shared Redis cache", "team-data-platform", 2, None),
    ("kafka", "Kafka event bus", "team-data-platform", 1, None),
    ("object-storage", "Object storage gateway", "team-infrastructure", 2, None),
    ("dns", "Internal DNS", "team-infrastructure", 1, None),
    ("edge-proxy", "Edge proxy and CDN config", "team-infrastructure", 1, "Website"),
    ("identity", "Identity provider", "team-identity", 1, "Login"),
    ("accounts", "Accounts service", "team-identity", 1, "Accounts"),
    ("catalog", "Product catalog", "team-catalog", 2, "Product catalog"),
    ("search", "Search API", "team-catalog", 2, "Search"),
    ("pricing", "Pricing engine", "team-catalog", 2, None),
    ("inventory", "Inventory service", "team-fulfilment", 2, None),
    ("cart", "Shopping cart", "team-checkout", 1, "Shopping cart"),
    ("payments", "Payments gateway", "team-payments", 1, "Payments"),
    ("checkout", "Checkout API", "team-checkout", 1, "Checkout"),
    ("orders", "Order service", "team-fulfilment", 1, "Orders"),
    ("shipping", "Shipping integration", "team-fulfilment", 2, "Delivery tracking"),
    ("notifications", "Notification dispatcher", "team-engagement", 2, "Email and push notifications"),
    ("webhooks", "Outgoing webhooks", "team-platform-api", 2, "Webhooks"),
    ("public-api", "Public REST API", "team-platform-api", 1, "Public API"),
    ("billing", "Billing and invoicing", "team-payments", 1, "Billing"),
    ("reporting", "Reporting exports", "team-analytics", 3, "Reports"),
    ("analytics-pipeline", "Analytics pipeline", "team-analytics", 3, None),
    ("admin-console", "Admin console", "team-internal-tools", 3, None),
    ("mobile-bff", "Mobile backend for frontend", "team-mobile", 1, "Mobile app"),
    ("web-frontend", "Web storefront", "team-web", 1, "Web shop"),
]
SERVICE_IDS = [s[0] for s in _SERVICES]
TEAMS = sorted({s[2] for s in _SERVICES})
PEOPLE = [
    "a.okafor", "b.lindqvist", "c.moreau", "d.nakamura", "e.petrov", "f.garcia", "g.osei", "h.schmidt",
    "i.rossi", "j.kowalski", "k.tanaka", "l.dubois", "m.haddad", "n.silva", "o.jensen", "p.novak",
]  # fmt: skip


def service_record(rng: random.Random, index: int) -> dict[str, Any]:
    sid, name, team, tier, public_name = _SERVICES[index]
    earlier = SERVICE_IDS[:index]
    depends = sorted(rng.sample(earlier, min(len(earlier), rng.randint(0, 4))))
    record: dict[str, Any] = {
        "id": sid,
        "name": name,
        "description": f"{name}: owned by {team}, tier {tier}. Runbook and levers below are kept current by the owners.",
        "owner_team": team,
        "tier": tier,
        "public": {"listed": public_name is not None, "name": public_name},
        "slo": {"availability": [0.9995, 0.999, 0.995][tier - 1]},
        "depends_on": depends,
        "escalation": [
            {"name": f"{team} on-call", "role": "primary", "contact": f"pagerduty:{sid}-primary", "hours": "24/7"},
            {"name": f"{team} lead", "role": "secondary", "contact": f"slack:#{team}", "hours": "business hours"},
        ],
        "dashboards": [
            {"title": f"{name} golden signals", "url": f"https://grafana.example.internal/d/{sid}-overview"},
            {"title": f"{name} error budget", "url": f"https://grafana.example.internal/d/{sid}-slo"},
        ],
        "diagnostics": [
            {"title": "Error rate by endpoint", "command": f"kubectl -n {sid} logs deploy/{sid} --since=15m", "expect": "no ERROR lines"},
            {"title": "Saturation", "command": None, "expect": "CPU below 70 percent on every pod"},
        ],
        "containment_levers": [
            {"kind": "feature_flag_off", "name": f"{sid}-new-path", "how": f"flagctl off {sid}-new-path", "minutes_to_effect": 1, "side_effects": "new flow disabled"},
            {"kind": "rollback", "name": "previous release", "how": f"deployctl rollback {sid}", "minutes_to_effect": 8, "side_effects": None},
        ],
        "smoke_tests": [{"name": f"{sid}-critical-path", "command": f"make smoke SERVICE={sid}", "covers": f"{name} happy path"}],
        "tags": [f"tier-{tier}", team.removeprefix("team-")],
    }  # fmt: skip
    return record


# --- prose --------------------------------------------------------------------------------------------------

COMPONENTS = [
    "connection pool", "read replica", "cache cluster", "queue consumer", "TLS certificate", "DNS resolver",
    "load balancer", "feature flag", "schema migration", "rate limiter", "autoscaling policy", "CDN configuration",
    "webhook receiver", "search index", "session store", "batch exporter", "event topic", "storage bucket policy",
    "circuit breaker", "retry policy", "service mesh sidecar", "cron scheduler", "JWT signing key", "ORM query plan",
]  # fmt: skip
SYMPTOMS = [
    "elevated 5xx responses", "p99 latency above four seconds", "timeouts on the critical path", "failed logins",
    "stale results", "duplicate notifications", "missing invoices", "slow page loads", "dropped webhook deliveries",
    "delayed emails", "empty carts after login", "payment authorisations declined", "404s for existing items",
]  # fmt: skip
RESOURCES = ["connections", "memory", "file descriptors", "disk space", "worker threads", "CPU", "IOPS", "quota"]
ALERTS = ["HighErrorRate", "LatencySLOBurn", "QueueLagHigh", "SyntheticCheckoutFailed", "PodCrashLooping", "DiskFull"]
CHANGE_KINDS = ["deploy", "config", "data_migration", "dependency", "traffic", "infrastructure"]
TAGS = [
    "database", "latency", "deploy", "config", "capacity", "third-party", "dns", "tls", "cache", "queue",
    "migration", "feature-flag", "rollback", "customer-facing", "data-integrity", "monitoring-gap", "autoscaling",
]  # fmt: skip
TITLES = [
    "{name} unavailable for some customers",
    "{name} returned errors for a subset of requests",
    "Slow responses from {name}",
    "{name} delayed by up to {n} minutes",
    "Intermittent failures in {name}",
    "{name} showed outdated information",
    "Some customers could not use {name}",
    "Degraded performance of {name} in one region",
]
SENTENCES = [
    "Between {t1} and {t2}, about {pct} percent of requests to {svc} failed with {symptom}.",
    "The {comp} of {svc} ran out of {res} after {change}.",
    "On-call was paged by the {alert} alert {n} minutes after the first errors appeared.",
    "Customers saw {symptom} while the {comp} was being recreated.",
    "The {comp} had been sized for last year's peak and nobody had revisited the numbers since.",
    "Retries from {svc2} multiplied the load on {svc} roughly {k} times during the peak.",
    "A dashboard showed the problem early, but no alert was attached to it.",
    "The runbook described the old {comp}, so the responder had to find the right lever by reading code.",
    "Rolling back {svc} took {n} minutes because the pipeline rebuilt every image first.",
    "Error budget burn for {svc} reached {k} times the sustainable rate within the first hour.",
    "The change had passed review and the canary, because the canary saw no {res}-heavy traffic.",
    "{svc2} kept working because it falls back to cached data when {svc} is slow.",
    "Support received {n} tickets, most of them mentioning {symptom}.",
    "The incident commander split the work into mitigation and investigation after {n} minutes.",
    "Logs were sampled at one percent, which hid the failing requests until sampling was raised.",
    "The {comp} configuration differs between staging and production in two undocumented ways.",
    "A similar pattern exists in {svc2}, which uses the same {comp} library with the same defaults.",
    "No customer data was lost; {n} requests were replayed from the queue after the fix.",
    "We saw {symptom} only for customers routed through the secondary region.",
    "The fix makes the {comp} limits explicit and adds a saturation alert at eighty percent.",
]
WHYS = [
    "Why did requests fail? Because {svc} could not get {res} from the {comp}.",
    "Why was the {comp} exhausted? Because {change} doubled the work per request.",
    "Why did that double the work? Because every request now triggers a second lookup against {svc2}.",
    "Why was that not caught before production? Because load tests use a dataset a hundred times smaller.",
    "Why is the dataset that small? Because nobody owns test data refreshes since the team reorganisation.",
]
EVENTS = [
    "{alert} fired for {svc}",
    "Incident declared; {svc} on-call is incident commander",
    "Status page updated",
    "Rolled back {svc}",
    "Feature flag for the {comp} turned off",
    "Error rate of {svc} back to baseline",
    "Traffic shifted away from the secondary region",
    "Found the {comp} exhausted in {svc}",
    "Customer support reports {symptom}",
    "Scaled {svc} out to {k} replicas",
]
LESSONS = [
    "The {alert} alert fired within two minutes and pointed at the right service.",
    "The feature flag let us stop the impact without a deploy.",
    "Responders handed over cleanly between time zones.",
    "It took {n} minutes to find who owns the {comp}.",
    "The status page was updated late because its owner was not in the incident channel.",
    "The incident happened outside the monthly billing run, which would have made it far worse.",
    "A responder remembered a similar incident from {year} and knew where to look.",
]
ACTIONS = [
    "Add a saturation alert for the {comp} of {svc}",
    "Make the {comp} limits of {svc} explicit in configuration",
    "Load-test {svc} with production-sized data before each release",
    "Document the {comp} lever in the {svc} runbook",
    "Add a regression test for {symptom} in {svc}",
    "Remove the temporary workaround in {svc2}",
]


@dataclass
class Prose:
    rng: random.Random
    services: list[str]
    year: int

    def fill(self, template: str, **extra: Any) -> str:
        rng = self.rng
        svc = rng.choice(self.services)
        values = {
            "svc": svc,
            "svc2": rng.choice([s for s in SERVICE_IDS if s != svc]),
            "comp": rng.choice(COMPONENTS),
            "symptom": rng.choice(SYMPTOMS),
            "res": rng.choice(RESOURCES),
            "alert": rng.choice(ALERTS),
            "change": f"the {rng.choice(CHANGE_KINDS).replace('_', ' ')} change to {svc}",
            "n": rng.randint(2, 90),
            "k": rng.randint(2, 12),
            "pct": rng.randint(1, 60),
            "t1": f"{rng.randint(0, 11):02d}:{rng.randint(0, 59):02d}",
            "t2": f"{rng.randint(12, 23):02d}:{rng.randint(0, 59):02d}",
            "year": self.year - rng.randint(1, 3),
            **extra,
        }
        return template.format(**values)

    def sentences(self, low: int, high: int) -> str:
        chosen = self.rng.sample(SENTENCES, self.rng.randint(low, high))
        return " ".join(self.fill(s) for s in chosen)

    def one(self, templates: list[str]) -> str:
        return self.fill(self.rng.choice(templates))


# --- incidents ----------------------------------------------------------------------------------------------

_OFFSETS = [UTC] * 6 + [timezone(timedelta(hours=h, minutes=m)) for h, m in ((1, 0), (2, 0), (-5, 0), (5, 30))]


def _ts(moment: datetime, tz: timezone) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds").replace("+00:00", "Z")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].rstrip("-")


@dataclass(frozen=True)
class Planned:
    """Where a record goes: decided for the whole corpus first, so ids run in time order within each year."""

    index: int
    started: datetime  # UTC
    tz: timezone
    number: int = 0

    @property
    def local_day(self) -> str:
        return self.started.astimezone(self.tz).date().isoformat()


def plan(count: int, seed: int) -> list[Planned]:
    rng = random.Random(f"{seed}:plan")
    span = int((LAST_DAY - FIRST_DAY).total_seconds() // 60)
    starts = sorted(FIRST_DAY + timedelta(minutes=rng.randrange(span)) for _ in range(count))
    planned = [Planned(i, started, rng.choice(_OFFSETS)) for i, started in enumerate(starts)]
    planned.sort(key=lambda p: (p.local_day[:4], p.started, p.index))
    counters: dict[str, int] = {}
    numbered = []
    for p in planned:
        counters[p.local_day[:4]] = counters.get(p.local_day[:4], 0) + 1
        numbered.append(Planned(p.index, p.started, p.tz, counters[p.local_day[:4]]))
    numbered.sort(key=lambda p: p.index)
    return numbered


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max(1, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, seconds))


def incident_record(p: Planned, seed: int, today: date = DEFAULT_TODAY) -> tuple[str, dict[str, Any]]:
    """(file name, record) for one planned incident; valid against the schema and the policy rules."""
    rng = random.Random(f"{seed}:incident:{p.index}")
    tz = p.tz
    year = int(p.local_day[:4])
    services = rng.sample(SERVICE_IDS, rng.choice([1, 1, 1, 2, 2, 3]))
    prose = Prose(rng, services, year)
    kind = rng.choices(["incident", "near_miss", "maintenance"], weights=[80, 12, 8])[0]
    severity = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], weights=[5, 20, 40, 35])[0]
    recent = (LAST_DAY - p.started).days < 45
    status = rng.choice(["investigating", "identified", "monitoring", "resolved"]) if recent else "resolved"
    resolved_flag = status == "resolved"

    started = p.started
    detected = started + timedelta(minutes=rng.randint(1, 30), seconds=rng.randint(0, 59))
    acknowledged = detected + timedelta(minutes=rng.randint(1, 15))
    mitigated = acknowledged + timedelta(minutes=rng.randint(5, 180))
    resolved = mitigated + timedelta(minutes=rng.randint(10, 1440))
    end_of_record = resolved if resolved_flag else mitigated
    service_name = next(s[4] or s[1] for s in _SERVICES if s[0] == services[0])
    title = rng.choice(TITLES).format(name=service_name, n=rng.randint(5, 90))
    file_name = f"{p.local_day}-{_slug(title)}-{p.number:04d}.yaml"

    record: dict[str, Any] = {
        "id": f"INC-{year}-{p.number:04d}",
        "title": title,
        "severity": severity,
        "status": status,
        "kind": kind,
        "services": services,
        "started_at": _ts(started, tz),
        "detected_at": _ts(detected, tz),
        "acknowledged_at": _ts(acknowledged, tz),
        "mitigated_at": _ts(mitigated, tz) if status in ("monitoring", "resolved") else None,
        "resolved_at": _ts(resolved, tz) if resolved_flag else None,
        "classification": {
            "category": rng.choice(["defect", "configuration", "capacity", "third_party", "requirement_gap"]),
            "rationale": prose.sentences(1, 1),
        },
    }
    impact = []
    for service in services:
        if kind == "near_miss" and rng.random() < 0.5:
            continue
        w_start = _between(rng, started, detected)
        w_end = _between(rng, mitigated, end_of_record) if resolved_flag or rng.random() < 0.5 else None
        window: dict[str, Any] = {
            "service": service,
            "level": "degraded_performance"
            if kind == "near_miss"
            else rng.choice(["degraded_performance", "partial_outage", "major_outage"]),
            "start": _ts(w_start, tz),
        }
        if w_end is not None:
            window["end"] = _ts(w_end, tz)
        if rng.random() < 0.4:
            window["note"] = f"Measured from the {rng.choice(ALERTS)} alert and load balancer logs."
        impact.append(window)
    record["impact"] = impact
    record["failure_boundary"] = {
        "scope": rng.choice(["all_users", "subset", "subset", "internal_only"]),
        "segments": rng.sample(["EU region", "US region", "mobile app", "enterprise plan", "new accounts"], 2),
        "customers_affected": rng.choice([None, rng.randint(10, 250_000)]),
        "revenue_at_risk": rng.choice([True, False, None]),
        "data_at_risk": rng.choice([False, False, None]),
        "description": prose.sentences(1, 1) if rng.random() < 0.5 else None,
    }
    record["summary"] = {
        "public": f"Customers experienced {rng.choice(SYMPTOMS)} when using {service_name}. " + prose.sentences(1, 1),
        "public_cause": f"A change to an internal {rng.choice(COMPONENTS)} reduced the capacity of {service_name}.",
        "public_mitigation": "We reverted the change and confirmed that error rates returned to normal.",
        "public_prevention": None
        if rng.random() < 0.5
        else "We are adding alerts and load tests so that this class of problem is caught earlier.",
        "internal": prose.sentences(1, 1),
    }
    record["detection"] = {
        "method": rng.choice(["alert", "synthetic_check", "customer_report", "internal_report", "automated_test"]),
        "source": f"{rng.choice(ALERTS)} on {services[0]}",
        "notes": prose.sentences(1, 1),
    }
    record["trigger"] = {
        "kind": rng.choice(["api_call", "data_shape", "time", "load_threshold", "external_event", "manual_action"]),
        "description": prose.sentences(1, 1),
    }
    record["changes"] = [
        {
            "kind": rng.choice(CHANGE_KINDS),
            "description": prose.fill("Release of {svc} with a new {comp} setting."),
            "ref": f"https://git.example.internal/{services[0]}/pull/{rng.randint(100, 9999)}",
            "at": _ts(started - timedelta(minutes=rng.randint(5, 600)), tz),
        }
        for _ in range(rng.randint(1, 1))
    ]
    record["reproduction"] = {
        "reproduced": rng.choice([True, False, None]),
        "environment": "staging with a production-sized dataset",
        "differences": None,
    }
    containment = []
    for _ in range(rng.randint(1, 2)):
        applied = _between(rng, acknowledged, mitigated)
        removed = _between(rng, applied + timedelta(minutes=1), applied + timedelta(days=3)) if resolved_flag else None
        containment.append(
            {
                "action": rng.choice(
                    ["feature_flag_off", "rollback", "traffic_routing", "kill_switch", "config_change"]
                ),
                "description": prose.fill("Turned off the {comp} path of {svc} for all tenants."),
                "applied_at": _ts(applied, tz),
                "removed_at": _ts(removed, tz) if removed else None,
                "effective": rng.choice([True, True, False, None]),
            }
        )
    containment.sort(key=lambda c: c["applied_at"])
    record["containment"] = containment
    record["fix"] = {
        "level": rng.choice(["workaround", "hotfix", "root_cause_fix"]),
        "description": prose.sentences(1, 1),
        "ref": f"https://git.example.internal/{services[0]}/pull/{rng.randint(100, 9999)}",
        "deployed_at": _ts(_between(rng, mitigated, end_of_record), tz) if resolved_flag else None,
        "smoke_tests_run": [f"{s}-critical-path" for s in services],
        "follow_up": prose.one(ACTIONS) if rng.random() < 0.5 else None,
    }
    record["verification"] = {
        "verified_at": _ts(end_of_record, tz) if resolved_flag else None,
        "description": "Error rate and latency back at baseline for two hours; adjacent flows checked; containment removed.",
    }
    record["root_cause"] = {
        "category": rng.choice(["code_defect", "configuration", "capacity", "dependency", "data", "infrastructure"]),
        "description": prose.sentences(1, 1),
        "five_whys": [prose.fill(w) for w in WHYS[: rng.randint(3, 5)]],
        "similar_risk": prose.sentences(1, 1) if rng.random() < 0.4 else None,
    }
    record["contributing_factors"] = [
        {"category": category, "description": prose.sentences(1, 1)}
        for category in rng.sample(
            ["people", "process", "tools", "inputs", "environment", "measurement"], rng.randint(1, 2)
        )
    ]
    record["failed_defences"] = [
        {"layer": layer, "description": prose.sentences(1, 1)}
        for layer in rng.sample(["code_review", "automated_tests", "release_gate", "monitoring"], rng.randint(1, 2))
    ]
    record["escape"] = {
        "reasons": rng.sample(["missing_test_case", "environment_scale", "environment_data", "requirement_gap"], 2),
        "description": prose.sentences(1, 1),
        "regression_test": {"added": rng.choice([True, False, None]), "ref": f"test_{_slug(title).replace('-', '_')}"},
    }
    record["defect_age"] = {
        "introduced_at": _ts(started - timedelta(days=rng.randint(1, 400)), tz),
        "introduced_by": f"https://git.example.internal/{services[0]}/pull/{rng.randint(100, 9999)}",
    }
    record["lessons"] = {
        "went_well": [prose.fill(rng.choice(LESSONS[:3]))],
        "went_wrong": [prose.fill(t) for t in rng.sample(LESSONS[3:5], 1)],
        "lucky": [prose.fill(LESSONS[5 + rng.randint(0, 1)])],
    }
    if rng.random() < 0.3:
        record["compensation"] = {"offered": rng.choice([True, False, None]), "description": prose.sentences(1, 1)}
    record["evidence"] = [
        {
            "title": f"{kind_} for {service}",
            "url": f"https://grafana.example.internal/d/{service}?from={int(started.timestamp())}",
            "kind": kind_,
        }
        for service in services[:2]
        for kind_ in rng.sample(["logs", "trace", "metrics", "dashboard"], 1)
    ]
    moments = sorted(_between(rng, started, end_of_record) for _ in range(rng.randint(1, 4)))
    record["timeline"] = [{"at": _ts(m, tz), "event": prose.one(EVENTS)} for m in [started, *moments]]
    update_moments = sorted(_between(rng, acknowledged, end_of_record) for _ in range(rng.randint(1, 2)))
    statuses = ["investigating", "identified", "monitoring", "resolved"]
    record["updates"] = [
        {
            "at": _ts(m, tz),
            "status": statuses[min(i, 2)] if i < len(update_moments) - 1 or not resolved_flag else "resolved",
            "message": f"We are {['investigating', 'fixing', 'monitoring'][min(i, 2)]} {rng.choice(SYMPTOMS)} in {service_name}.",
        }
        for i, m in enumerate(update_moments)
    ]
    items = []
    for _ in range(rng.choice([2, 2, 3, 4])):
        due = (end_of_record + timedelta(days=rng.randint(7, 90))).date()
        item_status = (
            rng.choice(["open", "in_progress", "done"]) if due >= today else rng.choice(["done", "done", "wont_do"])
        )
        items.append(
            {
                "title": prose.one(ACTIONS),
                "owner": rng.choice(PEOPLE + TEAMS),
                "due": due.isoformat(),
                "status": item_status,
                "kind": rng.choice(["prevent", "detect", "mitigate", "process"]),
                "link": f"https://tracker.example.internal/browse/OPS-{rng.randint(1000, 99999)}"
                if rng.random() < 0.5
                else None,
            }
        )
    record["action_items"] = items
    record["tags"] = rng.sample(TAGS, rng.randint(2, 4))
    for key, keep in OPTIONAL_SECTIONS:  # real records leave some sections out
        if rng.random() > keep:
            del record[key]
    return file_name, record


OPTIONAL_SECTIONS = (
    ("reproduction", 0.5),
    ("defect_age", 0.5),
    ("escape", 0.6),
    ("failed_defences", 0.7),
    ("verification", 0.7),
    ("trigger", 0.7),
    ("lessons", 0.6),
)


# --- invalid records: one schema error each -----------------------------------------------------------------

MUTATIONS = ("enum", "date-time-format", "unknown-key", "type", "required", "pattern", "date-format")


def mutate(record: dict[str, Any], how: str, rng: random.Random) -> tuple[tuple[str | int, ...], bool]:
    """Break `record` in one way; return the JSON path the error concerns and whether it points at a key."""
    if how == "enum":
        record["severity"] = "SEV5"
        return ("severity",), False
    if how == "date-time-format":  # matches the pattern, so only a date-time format check catches it
        index = rng.randrange(1, len(record["timeline"]))
        at = record["timeline"][index]["at"]
        record["timeline"][index]["at"] = f"{at[:5]}13{at[7:]}"  # month 13
        return ("timeline", index, "at"), False
    if how == "unknown-key":
        record["contributing_factors"][0]["owner"] = "team-sre"
        return ("contributing_factors", 0, "owner"), True
    if how == "type":
        record["failure_boundary"]["customers_affected"] = "about three hundred"
        return ("failure_boundary", "customers_affected"), False
    if how == "required":
        index = rng.randrange(len(record["action_items"]))
        del record["action_items"][index]["kind"]
        return ("action_items", index), False
    if how == "pattern":
        record["evidence"][0]["url"] = "grafana.example.internal/d/overview"
        return ("evidence", 0, "url"), False
    if how == "date-format":  # a due date that matches the pattern but is not a date
        index = rng.randrange(len(record["action_items"]))
        record["action_items"][index]["due"] = record["action_items"][index]["due"][:8] + "32"
        return ("action_items", index, "due"), False
    raise ValueError(how)


# --- YAML emitter that remembers where everything is ------------------------------------------------------

_YAML11_AMBIGUOUS = re.compile(
    r"(?i:y|n|yes|no|on|off|true|false|null|~)"
    r"|[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9]+(?::[0-9]+)+(?:\.[0-9]*)?"
    r"|[-+]?\.(?i:inf|nan)|0x[0-9a-fA-F]+|0o?[0-7]+"
)
_FOLD_AT = 100


def _plain_ok(text: str) -> bool:
    return (
        bool(text)
        and text[0].isascii()
        and text[0].isalnum()
        and text == text.strip()
        and ": " not in text
        and " #" not in text
        and "\n" not in text
        and not text.endswith(":")
        and not _YAML11_AMBIGUOUS.fullmatch(text)
    )


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return value if _plain_ok(value) else json.dumps(value, ensure_ascii=False)


class Emitter:
    """Block-style YAML as a person writes it; `where[path]` is the 1-based line of each key and value."""

    def __init__(self, header: list[str]) -> None:
        self.lines = list(header)
        self.where: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def mapping(self, data: dict[str, Any], indent: int, path: tuple[str | int, ...], first: str | None = None) -> None:
        for i, (key, value) in enumerate(data.items()):
            self._entry(first if i == 0 and first is not None else " " * indent, key, value, indent, (*path, key))

    def _entry(self, prefix: str, key: str, value: Any, indent: int, path: tuple[str | int, ...]) -> None:
        line = len(self.lines) + 1
        if isinstance(value, dict) and value:
            self.lines.append(f"{prefix}{key}:")
            self.where[path] = (line, line + 1)
            self.mapping(value, indent + 2, path)
        elif isinstance(value, list) and value and not self._flow(value):
            self.lines.append(f"{prefix}{key}:")
            self.where[path] = (line, line + 1)
            self._sequence(value, indent + 2, path)
        elif isinstance(value, list):
            self.lines.append(f"{prefix}{key}: [{', '.join(_scalar(v) for v in value)}]")
            self.where[path] = (line, line)
        elif isinstance(value, dict):
            self.lines.append(f"{prefix}{key}: {{}}")
            self.where[path] = (line, line)
        elif isinstance(value, str) and len(value) > _FOLD_AT and _plain_ok(value):
            self.lines.append(f"{prefix}{key}: >-")
            self.where[path] = (line, line)
            self.lines.extend(
                " " * (indent + 2) + part for part in textwrap.wrap(value, _FOLD_AT, break_on_hyphens=False)
            )
        else:
            self.lines.append(f"{prefix}{key}: {_scalar(value)}")
            self.where[path] = (line, line)

    @staticmethod
    def _flow(items: list[Any]) -> bool:
        return all(isinstance(v, str) and _plain_ok(v) and "," not in v and len(v) < 30 for v in items)

    def _sequence(self, items: list[Any], indent: int, path: tuple[str | int, ...]) -> None:
        for index, item in enumerate(items):
            line = len(self.lines) + 1
            self.where[(*path, index)] = (line, line)
            if isinstance(item, dict) and item:
                self.mapping(item, indent + 2, (*path, index), first=" " * indent + "- ")
            else:
                self.lines.append(" " * indent + "- " + _scalar(item))


def dump(record: dict[str, Any], header: list[str]) -> Emitter:
    emitter = Emitter(header)
    emitter.mapping(record, 0, ())
    return emitter


# --- the corpus ---------------------------------------------------------------------------------------------


def generate(out: Path, count: int, seed: int = 1, invalid_share: float = 0.0) -> dict[str, Any]:
    """Write the knowledge base into `out` (replacing incidents/ and services/); return the manifest."""
    if not 0.0 <= invalid_share <= 1.0:
        raise ValueError("invalid share must be between 0 and 1")
    for sub in ("incidents", "services"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "services").mkdir(parents=True)
    for index, sid in enumerate(SERVICE_IDS):
        rng = random.Random(f"{seed}:service:{index}")
        (out / "services" / f"{sid}.yaml").write_text(dump(service_record(rng, index), []).text(), encoding="utf-8")

    planned = plan(count, seed)
    invalid = set(random.Random(f"{seed}:invalid").sample(range(count), round(count * invalid_share)))
    broken: list[dict[str, Any]] = []
    total_bytes = 0
    for p in planned:
        file_name, record = incident_record(p, seed)
        mutation = None
        if p.index in invalid:
            rng = random.Random(f"{seed}:mutation:{p.index}")
            how = MUTATIONS[len(broken) % len(MUTATIONS)]
            mutation = (how, *mutate(record, how, rng))
        emitter = dump(record, [SCHEMA_LINE])
        folder = out / "incidents" / p.local_day[:4]
        folder.mkdir(parents=True, exist_ok=True)
        data = emitter.text().encode("utf-8")
        (folder / file_name).write_bytes(data)
        total_bytes += len(data)
        if mutation:
            how, path, at_key = mutation
            key_line, value_line = emitter.where[path]
            broken.append(
                {
                    "file": f"incidents/{p.local_day[:4]}/{file_name}",
                    "mutation": how,
                    "json_path": list(path),
                    "line": key_line if at_key else value_line,
                }
            )
    manifest = {
        "seed": seed,
        "count": count,
        "invalid_share": invalid_share,
        "valid_for_today": DEFAULT_TODAY.isoformat(),
        "services": len(SERVICE_IDS),
        "incident_bytes": total_bytes,
        "invalid": sorted(broken, key=lambda b: b["file"]),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="number of incident records (default: 10000)")
    parser.add_argument("--out", type=Path, required=True, help="the knowledge base folder to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invalid-share", type=float, default=0.0, help="share of records with a schema error")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.count, args.seed, args.invalid_share)
    print(
        f"{args.out}: {args.count} incidents ({manifest['incident_bytes'] / args.count / 1024:.1f} KiB on average), "
        f"{manifest['services']} services, {len(manifest['invalid'])} invalid",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
