"""`/openapi.json` is the committed merged document, which the gateway routes in full; the docs pages read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gateway.config import COMMITTED_OPENAPI_DOCUMENT, Settings
from gateway.docs import OpenApiDocumentError, read_openapi_document
from gateway.main import create_app
from gateway.routing import match
from prm_kit.testing import TEST_SECRET

from .harness import GatewayUnderTest

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(COMMITTED_OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    return document


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation in an OpenAPI document."""
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


@pytest.mark.asyncio
async def test_the_gateway_serves_the_committed_document(gw: GatewayUnderTest) -> None:
    answer = await gw.client.get("/openapi.json")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == _committed()


@pytest.mark.asyncio
async def test_the_configured_document_is_the_one_served(gateway_with: Any, tmp_path: Path) -> None:
    document = {"openapi": "3.1.0", "info": {"title": "elsewhere", "version": "1"}, "paths": {}}
    path = tmp_path / "prm.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    async with gateway_with(openapi_document=path) as gw:
        served = (await gw.client.get("/openapi.json")).json()

    assert served == document


@pytest.mark.asyncio
async def test_the_gateway_does_not_start_without_its_document(gateway_with: Any, tmp_path: Path) -> None:
    with pytest.raises(OpenApiDocumentError, match=r"missing\.json cannot be read"):
        async with gateway_with(openapi_document=tmp_path / "missing.json"):
            pass


@pytest.mark.parametrize(
    ("content", "complaint"),
    [("{ not json", "is not JSON"), ('["a list"]', "is not an OpenAPI document"), ("{}", "not an OpenAPI")],
)
def test_a_document_that_is_not_openapi_json_is_refused(tmp_path: Path, content: str, complaint: str) -> None:
    path = tmp_path / "prm.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(OpenApiDocumentError, match=complaint) as refused:
        read_openapi_document(path)

    assert "prm openapi" in str(refused.value)


def test_every_documented_operation_is_routed_or_served_by_the_gateway() -> None:
    own = _operations(create_app(Settings(internal_secret=TEST_SECRET)).openapi())
    documented = _operations(_committed())

    unserved = sorted(op for op in documented if op not in own and match(op[1]) is None)
    shadowed = sorted(op for op in own if match(op[1]) is not None)  # the proxy would take these
    assert unserved == []
    assert shadowed == []
    assert own <= documented
    assert ("POST", "/v1/agreements/expiry-sweeps") in documented


@pytest.mark.asyncio
@pytest.mark.parametrize(("path", "marker"), [("/docs", "swagger-ui"), ("/redoc", "redoc")])
async def test_the_docs_pages_read_the_merged_document(gw: GatewayUnderTest, path: str, marker: str) -> None:
    answer = await gw.client.get(path)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert marker in answer.text
    assert "/openapi.json" in answer.text
