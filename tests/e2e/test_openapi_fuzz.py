"""Schemathesis over the served OpenAPI document (contract sections 2 and 3): requests that fit
each operation's document are accepted, those that do not find no 500, and every response
matches the document (status, content type, body schema, headers). A request with query
parameters the document does not name is not refused: like most HTTP APIs, this one ignores
them, so schemathesis's check that such requests are rejected is left out. History takes at most
one of `offset`, `before` and `after`, which the document says in words only (OpenAPI has no
way to): there, a 400 for two of them is not held against it.

Driven through schemathesis's Python API (a Hypothesis strategy per operation) rather than its
pytest plugin, whose lazy fixtures do not run on pytest 9."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CheckFunction
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.support.clients import PASSWORD
from tests.support.server import ChatServer

EXAMPLES_PER_OPERATION = 25
HISTORY = "/conversations/{conversation_id}/messages"


def operations(server: ChatServer) -> Iterator[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/api/docs/openapi.json")
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the document itself is valid
        yield result.ok()


@pytest.fixture(scope="module")
def token(server: ChatServer) -> str:
    with httpx.Client(base_url=server.base_url) as http:
        body = {"username": "schemathesis", "password": PASSWORD}
        http.post("/auth/register", json=body)
        access: str = http.post("/auth/login", json=body).json()["accessToken"]
        return access


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_holds_to_its_document(
    server: ChatServer, token: str, mode: GenerationMode
) -> None:
    failures: list[str] = []
    for operation in operations(server):
        if operation.path == "/auth/logout":  # it would end the session the others run in
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def holds(case: schemathesis.Case[Any]) -> None:
            excluded: list[CheckFunction] = [negative_data_rejection]
            if case.operation.path == HISTORY and case.method == "GET":
                excluded.append(positive_data_acceptance)
            case.call_and_validate(
                base_url=server.base_url,
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=excluded,
            )

        try:
            holds()
        except Unsatisfiable:  # no request breaks this operation's document (no parameters)
            assert mode == GenerationMode.NEGATIVE
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
