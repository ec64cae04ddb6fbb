"""The OpenAPI document, generated from the same pydantic models the routes validate with.

Each API route declares its models once with ``operation(...)``; the document is assembled from that
registry, so it cannot drift from what the code accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    request: type[BaseModel] | None
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    # Staff operations: a Cognito ID token, or a machine's access token with a role's scope.
    secured: bool = False
    # What a path, header or query parameter must look like, by name (beyond being a string).
    parameter_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)


REGISTRY: list[Operation] = []


def operation(
    method: str,
    path: str,
    summary: str,
    *,
    request: type[BaseModel] | None = None,
    responses: dict[int, tuple[str, type[BaseModel] | None]],
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    secured: bool = False,
    parameter_schemas: dict[str, dict[str, Any]] | None = None,
) -> Operation:
    op = Operation(method.lower(), path, summary, request, responses, headers or {}, query or {}, secured,
                   parameter_schemas or {})
    REGISTRY.append(op)
    return op


def document(title: str, version: str, server_url: str) -> dict[str, Any]:
    models = {m for op in REGISTRY for m in [op.request, *(r[1] for r in op.responses.values())] if m}
    keyed: list[tuple[type[BaseModel], Literal["validation"]]] = [
        (m, "validation") for m in sorted(models, key=lambda m: m.__name__)
    ]
    refs, schemas = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for op in REGISTRY:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method}_{op.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "responses": {
                str(status): {
                    "description": description,
                    **(
                        {"content": {"application/json": {"schema": refs[(model, "validation")]}}}
                        if model
                        else {}
                    ),
                }
                for status, (description, model) in op.responses.items()
            },
        }
        schema = _parameter_schema(op)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": schema(name)} for name in _path_params(op.path)
        ]
        parameters += [
            {"name": name, "in": "header", "required": False, "description": text, "schema": schema(name)}
            for name, text in op.headers.items()
        ]
        parameters += [
            {"name": name, "in": "query", "required": False, "description": text, "schema": schema(name)}
            for name, text in op.query.items()
        ]
        if op.secured:
            entry["security"] = [{"staffToken": []}, {"machineToken": []}]
        parameters.append(
            {"name": "lang", "in": "query", "required": False, "description": "zh-CN (default) or en",
             "schema": {"type": "string", "enum": ["zh-CN", "en"]}}
        )
        entry["parameters"] = parameters
        if op.request:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
            }
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES},
    }


SECURITY_SCHEMES: dict[str, Any] = {
    "staffToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "A staff member's Cognito ID token (what the sign-in page gets)"},
    "machineToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                     "description": "An access token of a Cognito app client (client-credentials grant at the "
                                    "pool's /oauth2/token) whose scopes service-desk/<role> name the roles it "
                                    "acts in (python -m ops.api_clients)"},
}


def _parameter_schema(op: Operation) -> Callable[[str], dict[str, Any]]:
    return lambda name: {"type": "string", **op.parameter_schemas.get(name, {})}


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
