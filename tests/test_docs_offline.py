"""`/docs` (Swagger UI) and `/redoc` work without internet access: every asset comes from the gateway itself.

The unit tests read the pages' HTML in-process: no URL of another host, and every asset they reference answers
200 from the gateway. The end-to-end tests open both pages of a real gateway process in a real headless
Chromium (Debian's `chromium`, driven by Playwright, no browser download) with background networking off, and
check that operations are rendered and that the browser asked no other host for anything. Each saves a
screenshot under the test's tmp dir and prints its path.

Without Chromium (or Playwright) the browser tests are skipped with a loud notice, except in CI (`CI` set),
where they fail: CI installs Debian's `chromium`.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import pytest_asyncio
from gateway.config import COMMITTED_OPENAPI_DOCUMENT, Settings
from gateway.main import MIGRATIONS_DIR, create_app
from prm_kit.testing import TEST_SECRET, rolled_back_app, served_on_fresh_database

pytestmark = pytest.mark.backend_independent

CHROMIUM = Path(os.environ.get("PRM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RENDER_TIMEOUT_MS = 90_000  # the document is large and the machine has two shared cores
# Operations of the committed document, as each UI shows them: (operationId, summary).
KNOWN_OPERATIONS = [("create_partner", "Register a partner"), ("list_partners", "List and search partners")]
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class _References(HTMLParser):
    """The URLs a page makes the browser load: `src`, `href` and ReDoc's `spec-url`, plus Swagger UI's
    `url:` in its start-up script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        self.urls += [value for name, value in attrs if name in {"src", "href", "spec-url"} and value]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls += re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", data)


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


# --- unit: the pages' HTML, in-process -------------------------------------------------------------------


@pytest_asyncio.fixture
async def gateway(
    migrated_database: Callable[[str, Path], str], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    database_url = migrated_database("gateway", MIGRATIONS_DIR)
    settings = Settings(
        internal_secret=TEST_SECRET, database_url=database_url, data_dir=tmp_path, access_log=False
    )
    async with rolled_back_app(create_app(settings), database_url, principal=None) as (client, _session):
        yield client


@pytest.mark.asyncio
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_a_docs_page_references_only_the_gateways_own_urls(
    gateway: httpx.AsyncClient, page: str
) -> None:
    answer = await gateway.get(page)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    other_hosts = [
        url for url in re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", answer.text) if urlsplit(url).netloc
    ]
    assert other_hosts == [], f"{page} names another host"
    assert "fonts.googleapis" not in answer.text
    # A browser that follows the page anyway cannot leave the gateway's origin.
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy
    urls = references(answer.text)
    assert "/openapi.json" in urls
    assert len(urls) >= 3  # script, icon and the document (plus Swagger UI's style sheet)
    for url in urls:
        assert url.startswith("/"), f"{page} references {url}, not a path of the gateway"
        asset = await gateway.get(urljoin(str(answer.url), url))
        assert asset.status_code == 200, f"{page} references {url}, which answers {asset.status_code}"
        assert asset.content
        expected_type = ASSET_TYPES.get(Path(urlsplit(url).path).suffix, "application/json")
        assert asset.headers["content-type"].startswith(expected_type), url


@pytest.mark.asyncio
async def test_a_browser_revalidates_its_copy_of_an_asset(gateway: httpx.AsyncClient) -> None:
    first = await gateway.get("/docs/assets/redoc.standalone.js")

    again = await gateway.get(
        "/docs/assets/redoc.standalone.js", headers={"If-None-Match": first.headers["etag"]}
    )

    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.asyncio
async def test_an_unknown_docs_asset_is_a_404_problem(gateway: httpx.AsyncClient) -> None:
    for name in ["missing.js", "..%2F..%2Fpyproject.toml", "__init__.py"]:
        answer = await gateway.get(f"/docs/assets/{name}")

        assert answer.status_code == 404, name
        assert answer.headers["content-type"] == "application/problem+json"


# --- end to end: a real gateway process in a real headless Chromium ---------------------------------------


def _missing(what: str) -> None:
    """Skip loudly outside CI; fail in CI, where the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{what}, and CI is set: CI must install Debian's chromium (and the locked dev group)")
    notice = (
        f"\n  ***************************************************************\n"
        f"  *  {what}: the docs pages were NOT opened in a browser.\n"
        f"  *  Install it (apt-get install chromium) and run again.\n"
        f"  ***************************************************************"
    )
    warnings.warn(notice, stacklevel=2)
    pytest.skip(notice)


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway as its own uvicorn process, serving the committed document; no service behind it."""
    folder = tmp_path_factory.mktemp("docs-gateway")
    environment = {"PRM_OPENAPI_DOCUMENT": str(COMMITTED_OPENAPI_DOCUMENT), "PRM_ACCESS_LOG": "false"}
    with served_on_fresh_database(
        "gateway", "gateway.main:create_app", MIGRATIONS_DIR, folder, environment
    ) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class PageVisit:
    """What a page asked the network for and what went wrong in it, while a test looked at it."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.refused_by_policy: set[str] = set()
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", self._failed)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )

    def _failed(self, request: Any) -> None:
        if request.failure in {"csp", "net::ERR_BLOCKED_BY_CSP"}:  # Chromium's words for it vary
            self.refused_by_policy.add(request.url)

    def left_the_gateway(self, origin: str) -> list[str]:
        """The requests for another host that the browser sent (not those the page's policy refused)."""
        return [
            url
            for url in self.requests
            if not url.startswith((origin + "/", "data:", "blob:")) and url not in self.refused_by_policy
        ]


def _screenshot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot of {name}: {path}")  # noqa: T201 - the test's artifact, for a human to look at


@pytest.mark.e2e
def test_swagger_ui_renders_the_operations_offline(browser: Any, gateway_url: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = PageVisit(page)

    page.goto(f"{gateway_url}/docs", wait_until="load", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_selector(".opblock-summary", timeout=RENDER_TIMEOUT_MS)
    _screenshot(page, tmp_path, "swagger-ui")

    operations = page.locator(".opblock").count()
    assert operations >= 50, f"Swagger UI rendered only {operations} operations"
    for operation_id, summary in KNOWN_OPERATIONS:
        assert page.locator(f"#operations-partners-{operation_id}").count() == 1, operation_id
        assert page.get_by_text(summary, exact=True).count() >= 1, summary
    assert visit.left_the_gateway(gateway_url) == []
    assert visit.errors == []
    page.close()


@pytest.mark.e2e
def test_redoc_renders_the_operations_offline(browser: Any, gateway_url: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    visit = PageVisit(page)

    page.goto(f"{gateway_url}/redoc", wait_until="load", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_selector("[data-section-id^='tag/']", timeout=RENDER_TIMEOUT_MS)
    page.wait_for_selector("h2:has-text('Register a partner')", timeout=RENDER_TIMEOUT_MS)
    _screenshot(page, tmp_path, "redoc")

    for operation_id, summary in KNOWN_OPERATIONS:
        assert page.locator(f"[data-section-id$='/operation/{operation_id}']").count() == 1, operation_id
        assert page.locator(f"h2:has-text('{summary}')").count() >= 1, summary
    assert visit.left_the_gateway(gateway_url) == []
    # ReDoc's sidebar logo (cdn.redoc.ly) is refused by the page's Content-Security-Policy, never fetched:
    # that refusal is the only error allowed.
    assert visit.refused_by_policy <= {REDOC_LOGO}
    assert [error for error in visit.errors if REDOC_LOGO not in error] == []
    page.close()
