"""What a new contract breaks for mini-programs built on an older one.

A phone in a villager's pocket may run last year's mini-program: a path, an operation, a field
it reads from an answer, or an enum value it sends must not disappear within a major version.
"""

from typing import Any


def _major(document: dict[str, Any]) -> int:
    return int(str(document["info"]["version"]).split(".")[0])


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _fields(document: dict[str, Any], schema: dict[str, Any], seen: frozenset[str]) -> set[str]:
    """Dotted names of every field an answer of this schema carries (items as ``[]``)."""
    ref = schema.get("$ref")
    if ref in seen:
        return set()
    seen = seen | {ref} if ref else seen
    schema = _resolve(document, schema)
    found: set[str] = set()
    for part in schema.get("allOf", []) + schema.get("anyOf", []):
        found |= _fields(document, part, seen)
    if "items" in schema:
        found |= {f"[].{f}" for f in _fields(document, schema["items"], seen)}
    for name, sub in schema.get("properties", {}).items():
        found.add(name)
        found |= {f"{name}.{f}" for f in _fields(document, sub, seen)}
    return found


def _answers(document: dict[str, Any]) -> dict[str, set[str]]:
    out = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation.get("responses", {}).items():
                media = answer.get("content", {}).get("application/json")
                if status.startswith("2") and media is not None:
                    key = f"{method.upper()} {path} {status}"
                    out[key] = _fields(document, media["schema"], frozenset())
    return out


def _enums(document: dict[str, Any]) -> dict[str, set[str]]:
    schemas = document.get("components", {}).get("schemas", {})
    return {name: set(map(str, s["enum"])) for name, s in schemas.items() if "enum" in s}


def breaking_changes(released: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Every removal from ``released`` that ``current`` makes; none count across a major bump."""
    if _major(current) > _major(released):
        return []
    problems = []
    for path, item in released["paths"].items():
        for method in item:
            if method not in current["paths"].get(path, {}):
                problems.append(f"removed operation {method.upper()} {path}")
    now = _answers(current)
    for key, fields in _answers(released).items():
        if key in now:
            problems += [f"removed field {f} from {key}" for f in sorted(fields - now[key])]
    current_enums = _enums(current)
    for name, values in _enums(released).items():
        gone = values - current_enums.get(name, set())
        problems += [f"removed value {v} of enum {name}" for v in sorted(gone)]
    return problems
