"""Each problem type has a page at its `type` URI; each routed operation's documented scopes are the ones the
gateway enforces (enumerated from the committed document, in front of the echoing fake services)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from gateway.config import COMMITTED_OPENAPI_DOCUMENT
from gateway.scopes import KNOWN_SCOPES

from .harness import GatewayUnderTest

METHODS = {"get", "put", "post", "delete", "patch"}
SOME_ID = "0b8e9a52-3c1e-4f6a-9a57-2f0d6f3c1a10"


def _committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(COMMITTED_OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    return document


@pytest.mark.asyncio
async def test_every_problem_type_has_a_page_at_its_uri(gw: GatewayUnderTest) -> None:
    catalogue = _committed()["x-problem-types"]
    assert len(catalogue) >= 40

    for slug, entry in catalogue.items():
        assert entry["type"].endswith(f"/problems/{slug}")
        page = await gw.client.get(f"/problems/{slug}")
        assert page.status_code == 200, slug
        assert page.headers["content-type"].startswith("text/html")
        assert f"<strong>{entry['status']}</strong>" in page.text
        for member in entry["members"]:
            assert f"<code>{member}</code>" in page.text, (slug, member)

    as_json = await gw.client.get("/problems/precondition-failed", headers={"Accept": "application/json"})
    assert as_json.json()["status"] == 412
    assert "current_etag" in as_json.json()["members"]


@pytest.mark.asyncio
async def test_an_unknown_problem_type_is_a_problem_404(gw: GatewayUnderTest) -> None:
    answer = await gw.client.get("/problems/no-such-thing")

    assert answer.status_code == 404
    assert answer.json()["type"].endswith("/problems/not-found")


def _routed_operations() -> list[tuple[str, str, list[str]]]:
    found = []
    for path, item in _committed()["paths"].items():
        for method, operation in item.items():
            # `admin`-only operations pass the gateway's resource check and are refused by the service, which
            # the echoing fakes here do not stand in for (the registry's own tests cover them).
            if method in METHODS and operation.get("x-required-scopes", ["admin"]) != ["admin"]:
                found.append(
                    (method.upper(), re.sub(r"\{[^}]+\}", SOME_ID, path), operation["x-required-scopes"])
                )
    return found


@pytest.mark.asyncio
async def test_a_key_without_the_documented_scope_is_refused_and_one_with_it_is_let_through(
    gateway_with: Callable[..., AbstractAsyncContextManager[GatewayUnderTest]],
) -> None:
    operations = _routed_operations()
    assert len(operations) >= 40
    # Hundreds of calls from one test client: the per-address limits are not what this test is about.
    async with gateway_with(rate_limit_per_second=100_000, rate_limit_burst=1_000_000) as gw:
        await _check_scopes(gw, operations)


async def _check_scopes(gw: GatewayUnderTest, operations: list[tuple[str, str, list[str]]]) -> None:
    for method, path, scopes in operations:
        # A key holding every known scope except the documented ones and what implies them.
        implied = set(scopes) | {s.replace(":read", ":write") for s in scopes} | {"admin"}
        lacking = await gw.key(*[s for s in KNOWN_SCOPES if s not in implied])
        holding = await gw.key(scopes[0])

        refused = await gw.client.request(method, path, headers=gw.bearer(lacking), json={})
        passed = await gw.client.request(method, path, headers=gw.bearer(holding), json={})

        assert refused.status_code == 403, (method, path, scopes, refused.text)
        # The echoing fake answers 200 to whatever the gateway forwards.
        assert passed.status_code != 403, (method, path, scopes, passed.text)
