"""The OpenAPI document as the mini-program and the console rely on it: every error an operation
can answer, in the problem+json shape the server really sends; who may call it; the
``Idempotency-Key`` header where the server honours it; short operation ids; Chinese tags."""

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI, routing
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, APIRouter

from app.contract.examples import EXAMPLES
from app.contract.fields import describe_field
from app.contract.labels import ENUM_LABELS
from app.contract.raises import Raised, errors_of
from app.contract.schemas import PROBLEM_SCHEMAS, TAGS, problem_ref
from app.models.roster import Role

# Answered by the middleware or the framework for any operation of the kind named.
_OUTAGE = [
    Raised(503, "service.database", "Service Unavailable"),
    Raised(503, "service.cache", "Service Unavailable"),
]
_VALIDATION = Raised(422, "request.validation", "Unprocessable Content")
_TOO_LARGE = Raised(413, "request.too_large", "Content Too Large")
_UNSUPPORTED = Raised(415, "request.unsupported_media_type", "Unsupported Media Type")
_SIGNED_IN = Raised(401, "auth.unauthorized", "Unauthorized")
_IDEMPOTENCY = [
    Raised(409, "idempotency.in_flight", "Conflict"),
    Raised(422, "idempotency.key_reused", "Unprocessable Content"),
    Raised(422, "idempotency.key_invalid", "Unprocessable Content"),
]
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "同一次操作的所有重试用同一个键（1–128 个可见字符）：重放返回第一次的结果并带 "
        "`Idempotent-Replayed: true`，不会重复执行。"
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}


def operation_id(route: APIRoute) -> str:
    """``points_award``: the router's module, then the endpoint's name."""
    module = route.endpoint.__module__.rsplit(".", 1)[-1]
    return f"{module}_{route.name}"


def _dependency_calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def _roles(calls: list[Callable[..., Any]]) -> list[Role] | None:
    """The roles a ``require_roles`` dependency admits, if the route has one."""
    for call in calls:
        for cell in getattr(call, "__closure__", None) or ():
            value = cell.cell_contents
            if isinstance(value, tuple) and value and all(isinstance(v, Role) for v in value):
                return list(value)
    return None


def _who(operation: dict[str, Any], calls: list[Callable[..., Any]]) -> str:
    roles = _roles(calls)
    if roles is not None:
        ordered = sorted(roles, key=list(Role).index)  # the roles may come as a frozenset
        labels = ENUM_LABELS["Role"]
        return "调用者：" + "、".join(labels[r] for r in ordered) + "（只限其管辖范围）。"
    if operation.get("security"):
        return "调用者：任何已登录用户（群众、党员、干部）。"
    return "调用者：无需登录。"


def _errors_for(operation: dict[str, Any], method: str, raised: set[Raised]) -> set[Raised]:
    errors = set(raised) | set(_OUTAGE)
    if operation.get("parameters") or operation.get("requestBody"):
        errors.add(_VALIDATION)
    if operation.get("requestBody"):
        errors |= {_TOO_LARGE, _UNSUPPORTED}
    if operation.get("security"):
        errors.add(_SIGNED_IN)
        if method == "post":
            errors |= set(_IDEMPOTENCY)
    return errors


def _responses(errors: set[Raised]) -> dict[str, Any]:
    by_status: dict[int, list[Raised]] = defaultdict(list)
    for error in sorted(errors):
        by_status[error.status].append(error)
    answers = {}
    for status, group in sorted(by_status.items()):
        codes = sorted({e.code for e in group})
        answers[str(status)] = {
            "description": f"{group[0].title}。code：" + "、".join(f"`{c}`" for c in codes),
            "content": {"application/problem+json": {"schema": problem_ref(status)}},
            "x-codes": codes,
        }
    return answers


def _add_example(operation: dict[str, Any]) -> None:
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return
    name = media["schema"].get("$ref", "").rsplit("/", 1)[-1]
    if name in EXAMPLES:
        role, value = EXAMPLES[name]
        media["examples"] = {"example": {"summary": f"示例（{role}）", "value": value}}


def _describe_fields(components: dict[str, Any]) -> None:
    for component in components.values():
        for name, field in component.get("properties", {}).items():
            if "description" not in field:
                described = describe_field(name)
                if described:
                    field["description"] = described


def _label_enums(components: dict[str, Any]) -> None:
    for name, component in components.items():
        if "enum" not in component:
            continue
        labels = ENUM_LABELS.get(name, {})
        described = [labels.get(value, "") for value in component["enum"]]
        component["x-enum-descriptions"] = described
        component["description"] = "取值：" + "，".join(
            f"`{value}` {label}" for value, label in zip(component["enum"], described, strict=True)
        )


def _decorate(schema: dict[str, Any], routes: list[Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(PROBLEM_SCHEMAS)
    _label_enums(components)
    _describe_fields(components)
    for context in routing.iter_route_contexts(routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        calls = list(_dependency_calls(route.dependant))
        raised = errors_of(route.endpoint, *calls)
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            for status in [s for s in responses if s[0] in "45"]:
                del responses[status]
            responses.update(_responses(_errors_for(operation, method.lower(), raised)))
            if operation.get("security") and method == "POST":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_HEADER)
            _add_example(operation)
            who = _who(operation, calls)
            operation["description"] = "\n\n".join(
                part for part in (operation.get("description"), who) if part
            )


def install(app: FastAPI, documented: Sequence[APIRouter]) -> None:
    """Replaces ``app.openapi`` with the decorated document (built once, then kept), its
    operations in the order of ``documented`` (the app may try its routes in another)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            order = {id(router): i for i, router in enumerate(documented)}
            routes = sorted(
                app.routes, key=lambda r: order.get(id(getattr(r, "original_router", None)), -1)
            )
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=routes,
                tags=TAGS,
            )
            _decorate(schema, routes)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
