"""Operator pages: Django test client fixtures, and Playwright driving Debian's Chromium.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread
with a running loop unless told it is safe (it is here: one thread, one test at a time).
"""

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from oms.core.errors import DomainError
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.models import OmnitronReport
from oms.omnitron.reports import reports_deliver_due
from oms.packages.models import Package
from oms.packages.services import package_command_run
from oms.shipments.resolution import shipments_resolve
from tests.flow import conftest as flow

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PUBLISHED = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SUPERUSER = ("boss", "boss-password-123")
PACKAGING = "CHANNEL_BASED_COMPLETE_PACKAGING"

# The marketplace configuration, ingestion and Omnitron sandbox fixtures of the flow tests, as they are.
marketplace = flow.marketplace
ingest = flow.ingest
omnitron = flow.omnitron


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username=SUPERUSER[0], email="boss@example.com", password=SUPERUSER[1]
    )


@pytest.fixture
def staff_client(client, staff_user):
    """A Django test client logged in as a staff user (enough for the operator pages)."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def superuser_client(client, superuser):
    """A Django test client logged in as a superuser (every admin page)."""
    client.force_login(superuser)
    return client


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Chromium for one test module (Playwright's loop then runs only while that module does)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (bin/test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """`screenshot(page, name, publish_as=None)`: a full-page PNG under tests/artifacts/screenshots/;
    with OMS_UPDATE_SCREENSHOTS=1, also copied to docs/screenshots/<publish_as> (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, publish_as: str | None = None) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if publish_as and os.environ.get("OMS_UPDATE_SCREENSHOTS") == "1":
            PUBLISHED.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, PUBLISHED / publish_as)
        return path

    return take


def admin_login(page, live_server, username: str, password: str, next_url: str = "/ops/") -> None:
    """Log in through the admin login page, landing on `next_url`."""
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_url}")


@pytest.fixture
def walked(api, marketplace, omnitron, staff_user):
    """A package with a full history, made by the real engine against the Omnitron sandbox.

    An order created in Omnitron is ingested; two days ago staff asks for READY_TO_PACK (refused:
    the package is waiting), then packs it; the report reaches
    Omnitron a minute later; Omnitron then says shipped (with a re-issued tracking number),
    attempted delivery, and finally a late 'shipped' that is not applied.
    Returns (package id, {moment: datetime}).
    """
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-OLD", item_count=2)
    response = api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json")
    package_id = response.json()["packages"][0]["id"]
    t0 = timezone.now() - timedelta(days=2)
    # As if the order had arrived shortly before it was packed.
    Package.objects.filter(pk=package_id).update(created_at=t0 - timedelta(minutes=40))
    at = {
        "refused": t0 - timedelta(minutes=3),
        "packed": t0,
        "sent": t0 + timedelta(minutes=1),
        "shipped": t0 + timedelta(hours=5),
        "attempted": t0 + timedelta(days=1, hours=2),
        "late": t0 + timedelta(days=1, hours=3),
    }

    with pytest.raises(DomainError):  # a step skipped: refused, recorded, nothing changed
        package_command_run(
            package_id=package_id,
            slug="READY_TO_PACK",
            input_parameters={},
            actor=staff_user,
            now=at["refused"],
        )
    package_command_run(
        package_id=package_id, slug=PACKAGING, input_parameters={}, actor=staff_user, now=at["packed"]
    )
    # The outbox row's creation time is the wall clock; the command ran at `t0`.
    OmnitronReport.objects.filter(package_id=package_id).update(created_at=at["packed"])
    reports_deliver_due(now_fn=lambda: at["sent"], client_factory=omnitron_client_get)
    for status, moment in [("500", "shipped"), ("540", "attempted"), ("500", "late")]:
        omnitron.set_status(order["pk"], status, tracking_number="TRK-NEW")
        shipments_resolve(client_factory=omnitron_client_get, now_fn=lambda m=moment: at[m], due_only=False)
    return package_id, at
