"""Every command run or refused records who asked and where from; the package timeline shows both."""

from django.utils import timezone

from oms.packages.services import package_command_run
from oms.transitions.models import RefusedCommand, StateTransitionLog
from tests.api.conftest import make_order, make_package

PACK = "CHANNEL_BASED_COMPLETE_PACKAGING"


def _waiting(marketplace) -> int:
    order = make_order(
        channel=marketplace["channel"], cargo_company=marketplace["cargo_company"], tracking_number="7330099"
    )
    return make_package(order=order).pk


def test_the_api_records_its_user_and_source(api, marketplace, staff_user):
    package_id = _waiting(marketplace)

    api.post(f"/api/v1/oms/packages/{package_id}/command/", {"slug": PACK}, format="json")
    api.post(f"/api/v1/oms/packages/{package_id}/command/", {"slug": PACK}, format="json")  # refused

    log = StateTransitionLog.objects.get(package_id=package_id)
    refusal = RefusedCommand.objects.get(package_id=package_id)
    assert (log.actor, log.source) == (staff_user, "api")
    assert (refusal.actor, refusal.source) == (staff_user, "api")


def test_the_ops_page_records_its_user_and_source(client, marketplace, staff_user):
    package_id = _waiting(marketplace)
    client.force_login(staff_user)

    client.post(f"/ops/packages/{package_id}/command/", {"slug": PACK})

    log = StateTransitionLog.objects.get(package_id=package_id)
    assert (log.actor, log.source) == (staff_user, "ops")
    page = client.get(f"/ops/packages/{package_id}/").content.decode()
    assert f"by {staff_user.username} via ops page" in page


def test_code_that_names_no_source_is_the_system(marketplace):
    package_id = _waiting(marketplace)

    package_command_run(package_id=package_id, slug=PACK, now=timezone.now())

    log = StateTransitionLog.objects.get(package_id=package_id)
    assert (log.actor, log.source) == (None, "system")
