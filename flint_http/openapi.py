"""OpenAPI 3.1 document generated from the registry (the routes themselves bypass FastAPI's
parameter parsing so every face validates with the same models)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from flint_core import registry

REF = "#/components/schemas/{model}"


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    ops = registry.operations()
    models = [(m, mode) for op in ops for m, mode in ((op.input_model, "validation"),
                                                      (op.output_model, "serialization"))]
    keys, top = models_json_schema(models, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        input_ref = keys[(op.input_model, "validation")]
        input_schema = top["$defs"][input_ref["$ref"].rsplit("/", 1)[1]]
        in_path = set(op.path_params)
        parameters = [{"name": name, "in": "path", "required": True,
                       "description": input_schema["properties"][name].get("description", ""),
                       "schema": {"type": "string"}} for name in op.path_params]
        item: dict[str, Any] = {
            "operationId": op.name, "summary": op.summary, "description": op.description,
            "tags": [op.path.split("/")[2]],
            "x-flint-scope": op.scope, "x-flint-safety": asdict(op.safety),
            "responses": {"200": {"description": "Success", "content": {
                "application/json": {"schema": keys[(op.output_model, "serialization")]}}},
                "default": {"description": "Error envelope (see /docs/errors)"}},
        }
        if op.method == "GET" or op.method == "DELETE":
            parameters += [{"name": name, "in": "query", "required": name in input_schema.get("required", []),
                            "description": prop.get("description", ""), "schema": prop}
                           for name, prop in input_schema["properties"].items() if name not in in_path]
        else:
            body = {**input_schema, "properties": {name: prop for name, prop in input_schema["properties"].items()
                                                   if name not in in_path},
                    "required": [name for name in input_schema.get("required", []) if name not in in_path]}
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            if op.safety.read_only is False:
                parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                                   "description": "1-255 printable ASCII characters; retries with the same key "
                                                  "return the first response.", "schema": {"type": "string"}})
        if parameters:
            item["parameters"] = parameters
        paths.setdefault(op.path, {})[op.method.lower()] = item
    app.openapi_schema = {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version, "summary": app.summary},
        "paths": paths,
        "components": {"schemas": top.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
    return app.openapi_schema
