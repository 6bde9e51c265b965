"""Where the bundled data lives, and validating YAML against its JSON Schema.

``licenses/`` and ``policies/`` sit at the top of the repository so that people
review them as data; the wheel carries them as ``policycheck/_data/``. Running from a
source checkout falls back to the repository directories.

jsonschema is imported on first use: importing it and validating the bundled catalog
cost about 0.1 s, which ``check`` spends while worker processes already parse files
(see ``check_bundled``), not before they start.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policycheck.errors import DataError, InputError
from policycheck.yamlload import Located, PathKey, load_file

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry

#: Bundled data files by glob under ``licenses/``, and the schema each must satisfy.
BUNDLED: tuple[tuple[str, str], ...] = (
    ("licenses/*.yaml", "license"),
    ("engines/*.yaml", "engine"),
    ("terraform.yaml", "terraform"),
    ("catalog.yaml", "catalog"),
)

_PACKAGE = Path(__file__).resolve().parent
SCHEMA_DIR = _PACKAGE / "schemas"


def data_dir(name: str) -> Path:
    """The directory of bundled data ``name`` (``licenses`` or ``policies``)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped with the package, by file stem (``policy``, ``report`` ...)."""
    result: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    return result


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text("utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for schema ``name`` that resolves references to sibling schemas."""
    import jsonschema

    return jsonschema.Draft202012Validator(
        schema(name),
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def schema_errors(doc: Located, schema_name: str) -> list[InputError]:
    """Every schema violation in ``doc`` as an InputError with its line, in file order."""
    errors: list[InputError] = []
    for err in validator(schema_name).iter_errors(doc.value):
        path: PathKey = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
            if extra:
                path = (*path, extra[0])
        where = "/".join(str(p) for p in path) or "(top level)"
        errors.append(
            InputError(
                f"{where}: {_describe(err)}",
                doc.source,
                doc.line_of(path),
                _hint(err),
            )
        )
    errors.sort(key=lambda e: (e.line or 0, e.message))
    return errors


def _describe(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        from policycheck.suggest import did_you_mean

        allowed = ", ".join(str(v) for v in err.validator_value)
        maybe = did_you_mean(str(err.instance), [str(v) for v in err.validator_value])
        return f"{err.instance!r} is not one of: {allowed}{maybe}"
    if err.validator == "additionalProperties":
        return str(err.message).replace("Additional properties are not allowed", "unknown key")
    return str(err.message)


def _hint(err: jsonschema.ValidationError) -> str | None:
    if err.validator == "additionalProperties":
        return "check the spelling of the key against the schema"
    if err.validator == "required":
        return "add the missing key"
    if err.validator == "enum":
        return "use one of the listed values"
    if err.validator == "type" and "string" in _as_list(err.validator_value):
        return _quote_hint(err.instance)
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _quote_hint(value: Any) -> str | None:
    """Why YAML turned text into another type, and how to keep it text."""
    if isinstance(value, bool):
        return (
            f"YAML reads an unquoted yes, no, on, off, true or false as {str(value).lower()}; "
            "quote the text, e.g. rationale: 'no'"
        )
    if isinstance(value, int | float):
        return f"YAML reads {value} as a number; quote it, e.g. '{value}'"
    if value is None:
        return "the value is empty (null); write the text, quoted if it has a colon"
    if isinstance(value, dict | list):
        return "a ': ' or leading '- ' or '[' made this a mapping or list; quote the text"
    return None


def load_validated(path: Path, schema_name: str, display: str | None = None) -> Located:
    """Load YAML and validate it; raises the first error (with line) on failure."""
    doc = load_file(path, display)
    errors = schema_errors(doc, schema_name)
    if errors:
        raise errors[0]
    return doc


@cache
def check_bundled() -> None:
    """Validate every bundled license and engine file against its schema, once.

    The loaders read these files without a schema walk, so that the catalog is ready
    before the scanning workers fork; ``check`` calls this while they work, and the
    test suite calls it too. A violation is a defect of the package: DataError, with
    file and line.
    """
    root = data_dir("licenses")
    for pattern, schema_name in BUNDLED:
        for path in sorted(root.glob(pattern)):
            errors = schema_errors(load_file(path), schema_name)
            if errors:
                first = errors[0]
                raise DataError(first.message, first.path, first.line, "reinstall policycheck")
