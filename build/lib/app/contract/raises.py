"""Which errors a route can answer, read from the code that runs for it.

The error classes carry their status and code; a route's documented errors are those its
endpoint, its dependencies and every function of ours they call construct, found by reading
their source (``ast``) and resolving names in each function's own globals. Errors made some
other way (a class chosen at run time) are missed here; the test that compares what the suite
saw with what is documented catches those.
"""

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.errors import AppError


@dataclass(frozen=True, order=True, slots=True)
class Raised:
    status: int
    code: str
    title: str


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _ours(target: Any) -> bool:
    module = getattr(target, "__module__", "") or ""
    return module.startswith("app.") and module != "app.contract.raises"


def _error(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, AppError)


def _code_given(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _source_tree(func: Callable[..., Any]) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None


def _callees(tree: ast.AST, namespace: dict[str, Any]) -> Iterator[tuple[Any, ast.Call]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield _resolve(node.func, namespace), node
        elif isinstance(node, ast.Raise) and node.exc is not None:
            raised = _resolve(node.exc, namespace)
            if _error(raised):
                yield raised, ast.Call(func=node.exc, args=[], keywords=[])


def _typed_names(func: Callable[..., Any], owner: type | None) -> dict[str, type]:
    """Parameters by their annotated class (``gateway: WechatGateway``), and ``self``/``cls`` as
    the class the method was reached through (``owner``; else the one defining it), so that
    calls of their methods, overridden ones included, can be followed."""
    names: dict[str, type] = {}
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # an annotation that cannot be evaluated here: follow what we can
        hints = {}
    for name, hint in hints.items():
        if isinstance(hint, type):
            names[name] = hint
    if owner is None:
        owner_name, _, _ = func.__qualname__.rpartition(".")
        found = getattr(func, "__globals__", {}).get(owner_name)
        owner = found if isinstance(found, type) else None
    if owner is not None:
        names["self"] = names["cls"] = owner
    return names


Reached = tuple[Callable[..., Any], type | None]  # a function, and the class it was reached by


def _through(node: ast.expr, namespace: dict[str, Any]) -> type | None:
    """The class of ours a method call goes through (``writer.submit`` with
    ``writer: CheckinWriter``)."""
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        if isinstance(owner, type) and _ours(owner):
            return owner
    return None


@cache
def _direct(
    func: Callable[..., Any], owner: type | None
) -> tuple[frozenset[Raised], tuple[Reached, ...]]:
    """Errors this function constructs itself, and the functions of ours it calls."""
    tree = _source_tree(func)
    if tree is None:
        return frozenset(), ()
    namespace = {**getattr(func, "__globals__", {}), **_typed_names(func, owner)}
    errors: set[Raised] = set()
    calls: list[Reached] = []
    for target, call in _callees(tree, namespace):
        if _error(target):
            errors.add(Raised(target.status, _code_given(call) or target.code, target.title))
        elif isinstance(target, type) and _ours(target):
            for member in vars(target).values():
                function = getattr(member, "__func__", member)
                if isinstance(function, types.FunctionType) and _ours(function):
                    calls.append((function, target))
        elif callable(target):
            function = inspect.unwrap(target)
            if isinstance(function, types.FunctionType) and _ours(function):
                calls.append((function, _through(call.func, namespace)))
    return frozenset(errors), tuple(calls)


def errors_of(*roots: Callable[..., Any]) -> set[Raised]:
    """Everything the given functions and all they call (transitively) may raise."""
    seen: set[Reached] = set()
    found: set[Raised] = set()
    stack: list[Reached] = [(inspect.unwrap(root), None) for root in roots]
    while stack:
        reached = stack.pop()
        if reached in seen:
            continue
        seen.add(reached)
        errors, calls = _direct(*reached)
        found |= errors
        stack.extend(c for c in calls if c not in seen)
    return found
