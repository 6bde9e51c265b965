"""GitHub Actions annotations: level by verdict, file and line, the runner's escaping."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from policycheck.errors import InputError
from policycheck.evaluate import Evaluator
from policycheck.formats import all_formats
from policycheck.formats.github import FORMAT, command, escape_data, escape_property
from policycheck.knowledge import Use
from policycheck.model import Component, Finding, Location
from policycheck.notice import SHORT_DISCLAIMER
from policycheck.policy import Verdict, load_policy
from policycheck.report import Report

AS_OF = dt.date(2026, 11, 27)
POLICY = load_policy("default")
COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def unescape(text: str) -> str:
    """What the runner does to a message or property value (inverse of the escaping)."""
    table = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}
    return re.sub("%25|%0D|%0A|%3A|%2C", lambda m: table[m.group(0)], text)


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Split a workflow command the way the runner does: name, properties, message."""
    m = COMMAND.match(line)
    assert m, line
    props: dict[str, str] = {}
    for pair in (m["props"] or "").split(","):
        if pair:
            key, value = pair.split("=", 1)
            props[key] = unescape(value)
    return m["name"], props, unescape(m["message"])


def finding(**changes: Any) -> Finding:
    base = Finding(
        engine="redis",
        version="7.4.0",
        requested="7.4.0",
        verdict=Verdict.REVIEW,
        rationale=["Redis 7.4.0 is licensed X.", "Rule review-not-osi (review): Not OSI."],
        license="LicenseRef-scancode-rsalv2 OR SSPL-1.0",
        rules=["review-not-osi"],
    )
    return replace(base, **changes)


def real_report() -> Report:
    """Deny (managed service use), review, allow and an input error, from the evaluator."""
    policy = POLICY.with_uses((Use.INTERNAL, Use.SAAS, Use.MANAGED_SERVICE))
    evaluator = Evaluator(policy, AS_OF)
    findings = [
        evaluator.evaluate(Component("redis", "7.4.0", Location("k8s/cache.yaml", 20))),
        evaluator.evaluate(Component("foo", "1")),
        evaluator.evaluate(Component("valkey", "8.0.1", Location("compose.yml", 4))),
    ]
    errors = [InputError("not valid YAML", "broken/values.yaml", 3)]
    return Report(policy, AS_OF, findings, errors)


def test_discovered() -> None:
    assert all_formats()["github"] is FORMAT


def test_levels_locations_and_summary() -> None:
    lines = FORMAT.render(real_report()).splitlines()
    parsed = [parse_command(line) for line in lines[:-2]]
    assert lines[-2] == f"policycheck: {SHORT_DISCLAIMER}"
    by_title = {props["title"]: (name, props, msg) for name, props, msg in parsed}
    name, props, message = by_title["policycheck deny: redis@7.4.0 (deny-restricted-use)"]
    assert name == "error"
    assert (props["file"], props["line"]) == ("k8s/cache.yaml", "20")
    assert message.startswith("redis@7.4.0: license LicenseRef-scancode-rsalv2 OR SSPL-1.0")
    assert "\nRule deny-restricted-use (deny): " in message
    name, props, _ = by_title["policycheck review: foo@1 (fail-closed-unknown-engine)"]
    assert name == "warning" and "file" not in props and "line" not in props
    name, props, message = by_title["policycheck input error"]
    assert (name, props["file"], props["line"]) == ("error", "broken/values.yaml", "3")
    assert message == "broken/values.yaml:3: not valid YAML"
    # The allow (valkey) is not annotated; the summary is plain text.
    assert len(parsed) == 3 and not any("valkey" in line for line in lines[:-2])
    assert lines[-1] == (
        "policycheck: 3 finding(s): 1 allow, 1 review, 1 deny; 1 input error(s); "
        "fail-on deny: FAILED"
    )


def test_allow_only_report_emits_just_the_summary() -> None:
    f = finding(verdict=Verdict.ALLOW, rules=["allow-permissive"])
    out = FORMAT.render(Report(POLICY, AS_OF, [f]))
    assert out == (
        f"policycheck: {SHORT_DISCLAIMER}\n"
        "policycheck: 1 finding(s): 1 allow, 0 review, 0 deny; 0 input error(s); "
        "fail-on deny: passed\n"
    )


def test_escaping_of_message_and_properties() -> None:
    f = finding(
        rationale=["first", "Rule review-not-osi (review): 100% sure\r\n::error::injected"],
        location=Location("dir,one/we:ird%.yml", 7),
    )
    first = FORMAT.render(Report(POLICY, AS_OF, [f])).splitlines()[0]
    assert first == (
        "::warning file=dir%2Cone/we%3Aird%25.yml,line=7,"
        "title=policycheck review%3A redis@7.4.0 (review-not-osi)"
        "::redis@7.4.0: license LicenseRef-scancode-rsalv2 OR SSPL-1.0 (policy 'default')."
        "%0ARule review-not-osi (review): 100%25 sure%0D%0A::error::injected"
    )


def test_escape_functions_follow_the_runner() -> None:
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"
    assert command("warning", "m", file=None, line=None) == "::warning::m"


@given(
    message=st.text(),
    title=st.text(),
    path=st.text(min_size=1),
    line=st.integers(min_value=1, max_value=10**6),
)
def test_commands_round_trip_and_stay_on_one_line(
    message: str, title: str, path: str, line: int
) -> None:
    text = command("error", message, file=path, line=line, title=title)
    assert "\n" not in text and "\r" not in text
    name, props, decoded = parse_command(text)
    assert (name, decoded) == ("error", message)
    assert props == {"file": path, "line": str(line), "title": title}


def test_deterministic() -> None:
    report = real_report()
    assert FORMAT.render(report) == FORMAT.render(report)
