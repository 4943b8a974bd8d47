"""A stand-in server made from the contract alone, for front-end work without the backend.

Every operation answers its documented success status with a body built from its schema
(the schema's own example where there is one). Nothing is stored; bodies are not checked.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

_SAMPLE_STRINGS = {
    "date-time": "2026-07-01T09:00:00+08:00",
    "date": "2026-07-01",
    "uri": "https://xiangzhi.example.cn/media/1.jpg",
    "email": "someone@example.cn",
}


def sample(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """One plausible value of ``schema``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return sample(document, document["components"]["schemas"][name], depth + 1)
    if "examples" in schema and isinstance(schema["examples"], list) and schema["examples"]:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return sample(document, options[0], depth)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = sample(document, part, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: sample(document, sub, depth) for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        # Depth counts references followed: a schema that contains itself ends in an empty list.
        return [] if depth > 12 else [sample(document, schema.get("items", {}), depth)]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string":
        text = _SAMPLE_STRINGS.get(schema.get("format", ""), "示例")
        return text if len(text) >= schema.get("minLength", 0) else "示" * schema["minLength"]
    return None


def _answer(document: dict[str, Any], operation: dict[str, Any]) -> Response:
    for status, answer in sorted(operation.get("responses", {}).items()):
        if not status.startswith("2"):
            continue
        media = answer.get("content", {}).get("application/json")
        if media is None:
            return Response(status_code=int(status))
        return JSONResponse(sample(document, media["schema"]), status_code=int(status))
    return Response(status_code=204)


def create_mock_app(document: dict[str, Any]) -> FastAPI:
    app = FastAPI(title=f"{document['info']['title']}（模拟）", openapi_url=None)

    def route(answer: Response) -> Any:
        async def handler() -> Response:
            return answer

        return handler

    for path, item in document["paths"].items():
        for method, operation in item.items():
            app.add_api_route(
                path,
                route(_answer(document, operation)),
                methods=[method.upper()],
                include_in_schema=False,
            )
    return app
