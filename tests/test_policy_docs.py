"""Every rule a finding can name is documented in docs/policy.md, with a section of its own and a real finding
line; and the page documents no rule the code has lost. The rule names are read from the code itself: the rule
argument of every call that makes a finding."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLICY = (REPO / "docs" / "policy.md").read_text(encoding="utf-8")
# The functions that make a finding, and the position of their `rule` argument.
MAKERS = {"at": 2, "finding": 3, "_error": 3, "_at": 1, "Finding": 4}
RULE = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _rules_in(path: Path) -> set[str]:
    rules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in MAKERS or len(node.args) <= MAKERS[name]:
            continue
        argument = node.args[MAKERS[name]]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and RULE.fullmatch(argument.value):
            rules.add(argument.value)
        elif isinstance(argument, ast.JoinedStr):  # f"{key}-order", for key in ("updates", "timeline")
            rules.update(_expanded(path, argument))
    return rules


def _expanded(path: Path, template: ast.JoinedStr) -> set[str]:
    """The names an f-string rule takes: each value of the loop variable it formats, read from the source."""
    suffix = "".join(part.value for part in template.values if isinstance(part, ast.Constant))
    source = path.read_text(encoding="utf-8")
    loop = re.search(r"for key, \w+ in \(((?:\(\"[a-z]+\", \"[a-z]+\"\),? ?)+)\)", source)
    assert loop, f"{path}: an f-string rule name whose values this test cannot read"
    return {f"{key}{suffix}" for key in re.findall(r"\(\"([a-z]+)\"", loop[1])}


def code_rules() -> set[str]:
    return set().union(*(_rules_in(path) for path in sorted((REPO / "generator").rglob("*.py"))))


def documented_rules() -> set[str]:
    return set(re.findall(r"^### `([a-z-]+)`$", POLICY, re.M))


def test_the_code_makes_the_rules_this_test_expects_to_find() -> None:
    """The reading itself works: rules of the loader, the schema, the policy rules and the settings are found."""
    assert {"yaml-syntax", "schema", "time-order", "updates-order", "timeline-order", "settings"} <= code_rules()


def test_every_rule_has_a_section_and_a_real_finding_line() -> None:
    missing = sorted(code_rules() - documented_rules())
    assert missing == [], f"rules without a section in docs/policy.md: {missing}"
    without_example = sorted(
        rule for rule in code_rules() if not re.search(rf"(error|warning)\[{re.escape(rule)}\]: ", POLICY)
    )
    assert without_example == [], f"rules without a finding line in docs/policy.md: {without_example}"


def test_the_page_documents_no_rule_the_code_has_lost() -> None:
    assert sorted(documented_rules() - code_rules()) == []
