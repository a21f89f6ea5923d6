"""Every integer any route takes (path, query, form, JSON body, API and web alike) is bounded to what the database
holds, by the shared types of ``service.kit.fields`` (issue 10, finding 10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from service.app import ROUTERS
from service.kit.fields import DB_INT_MAX
from service.kit.publicids import PUBLIC_INPUT_MAX


def schema_of_every_route() -> dict[str, Any]:
    """The OpenAPI of every router, web pages too (their paths and forms take ids as well)."""
    probe = FastAPI()
    for module in ROUTERS:
        probe.include_router(module.router)
    return probe.openapi()


def _integers(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "in" in node and "name" in node:  # a parameter: its name in the walk
            where = f"{where}[{node['name']}]"
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _integers(value, f"{where}/{i}")


def test_every_integer_input_is_bounded() -> None:
    schema = schema_of_every_route()
    inputs = {
        "paths": {
            p: {m: {k: v for k, v in op.items() if k in ("parameters", "requestBody")} for m, op in ops.items()}
            for p, ops in schema["paths"].items()
        },
        "components": {
            k: v
            for k, v in schema.get("components", {}).get("schemas", {}).items()
            if k not in ("ValidationError", "HTTPValidationError")
        },
    }
    found = list(_integers(inputs, ""))
    assert len(found) > 50, "the walk found the integers"
    public = [w for w, node in found if _names_public_id(w) and node.get("maximum") == PUBLIC_INPUT_MAX]
    assert len(public) > 20, "letters and attachments are named by public ids (finding 11)"
    unbounded = sorted(
        w
        for w, node in found
        if (node.get("maximum", DB_INT_MAX + 1) > DB_INT_MAX and w not in public)
        or node.get("minimum", -DB_INT_MAX - 2) < -DB_INT_MAX - 1
    )
    assert not unbounded, "\n".join(unbounded)


def _names_public_id(where: str) -> bool:
    """A letter's or an attachment's id: a public id (``service.kit.publicids``), an integer up to 2**53 that the
    edge decodes (one naming nothing answers 404); every other integer stays within the database's."""
    return any(k in where for k in ("letter_id", "attachment_id", "letter_ids"))
