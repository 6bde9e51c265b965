"""``policycheck init``: a starter policy a person can read, edit and validate.

The starter is a bundled policy's text with a comment above each rule saying in words
when it fires, and a ``$schema`` line editors can load: the schema is written beside the
policy, so the line is a relative path that resolves on any machine, with no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from policycheck.data import data_dir, schema
from policycheck.errors import InputError
from policycheck.jsontext import pretty
from policycheck.output import write_atomic
from policycheck.policy import resolve_policy_path
from policycheck.yamlload import load_text, read_text

SCHEMA_FILE = "policy.schema.json"
SCHEMA_LINE = f"# yaml-language-server: $schema=./{SCHEMA_FILE}"

_WORDS = {
    "triggers": "a declared use triggers a license {value}",
    "category": "the license's category is {value}",
    "license": "the license is {value}",
    "osi_approved": "the license is {not}OSI-approved",
    "fsf_libre": "the license is {not}FSF-libre",
    "uses": "for the declared uses {value}",
    "judgement_call": "the reading {is_} a judgement call",
    "engine": "the engine is {value}",
    "versions": "its version is in {value}",
    "governance_model": "the engine's governance is {value}",
    "pinned": "the version {is_} pinned (not a floating tag or release line)",
    "provider_managed": "a cloud provider {does} run the engine",
    "verified_at_tags": "the license fact {was} verified at an upstream tag",
    "context": "it runs in {value}",
}


def describe(when: dict[str, Any]) -> str:
    """A rule's condition in words: ``the license is not OSI-approved``."""
    parts = []
    for key, value in when.items():
        shown = " or ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        template = _WORDS.get(key, key + " is {value}")
        parts.append(
            template.format(
                value=shown,
                **{
                    "not": "" if value else "not ",
                    "is_": "is" if value else "is not",
                    "does": "does" if value else "does not",
                    "was": "was" if value else "was not",
                },
            )
        )
    return " and ".join(parts) or "always"


def starter(policy: str, file_name: str) -> str:
    """The starter text for bundled ``policy``: header, the policy, a comment per rule."""
    path = resolve_policy_path(policy)
    if path.parent != data_dir("policies"):
        raise InputError(
            f"{policy!r} is not a bundled policy",
            hint="run 'policycheck init --policy NAME' with a bundled name",
        )
    text = read_text(path, path.name)
    doc = load_text(text, path.name)
    comments: dict[int, str] = {}
    for i, rule in enumerate(doc.value.get("rules", [])):
        line = doc.line_of(("rules", i))
        if line is not None:
            comments[line] = f"{rule['verdict']} when {describe(rule.get('when', {}))}"
    out = [
        SCHEMA_LINE,
        f"# A starter policy, copied from policycheck's bundled '{path.stem}' policy: edit it.",
        f"# Check it:   policycheck validate {file_name}",
        f"# Use it:     policycheck check --policy {file_name} PATH...",
        "# Every rule whose 'when' holds fires and the strictest verdict wins; when none",
        "# fires, 'default' applies. Categories and license ids: 'policycheck licenses';",
        f"# all keys: 'policycheck schema policy' (also in {SCHEMA_FILE} beside this file).",
    ]
    for number, source_line in enumerate(text.splitlines(), start=1):
        if number == 1 and source_line.startswith("# yaml-language-server:"):
            continue
        if number in comments:
            indent = source_line[: len(source_line) - len(source_line.lstrip())]
            out.append(f"{indent}# {comments[number]}")
        out.append(source_line)
    return "\n".join(out) + "\n"


def init(target: Path, policy: str, force: bool) -> list[Path]:
    """Write the starter policy at ``target`` and its schema beside it; the paths written.

    Refuses (InputError) to replace an existing policy without ``force``; the schema file
    is replaced when it differs only with ``force`` too, since a person may have put
    another file of that name there.
    """
    if target.is_dir():
        target = target / "policy.yaml"
    text = starter(policy, target.name)
    schema_path = target.parent / SCHEMA_FILE
    schema_text = pretty(schema("policy"))
    for path, new in ((target, text), (schema_path, schema_text)):
        if path.exists() and not force and path.read_text("utf-8", errors="replace") != new:
            raise InputError(
                "file exists; not overwritten",
                str(path),
                hint="pass --force to replace it, or name another file",
            )
    write_atomic(schema_path, schema_text)
    write_atomic(target, text)
    return [target, schema_path]
