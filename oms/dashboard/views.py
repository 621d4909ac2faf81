"""Operator pages: the dashboard and one package's page. Staff only; views parse, call, render."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from oms.core.errors import DomainError, NotFoundError
from oms.core.statuses import PackageStatus, status_name
from oms.dashboard import cancellation_queues, package_page, selectors
from oms.dashboard.forms import DashboardFilterForm
from oms.events.selectors import subscriptions_with_recent_deliveries
from oms.packages.services import package_command_run
from oms.shipments.next_check import shipment_next_check_shown
from oms.transitions.models import CommandSource


@require_GET
@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    packed_hours, shipped_days = form.thresholds()
    now = timezone.now()
    context = {
        "now": now,
        "form": form,
        "packed_hours": packed_hours,
        "shipped_days": shipped_days,
        "setup": selectors.setup_overview(),
        "table": selectors.packages_by_status_and_channel(),
        "packed": selectors.packages_packed_not_shipped(now=now, older_than=timedelta(hours=packed_hours)),
        "shipped": selectors.packages_shipped_not_delivered(now=now, older_than=timedelta(days=shipped_days)),
        "stale": selectors.shipments_stale(),
        "resolution": selectors.resolution_overview(now=now),
        "outbox": selectors.outbox_overview(),
        "pull_back": cancellation_queues.pull_back_queue(),
        "returns": cancellation_queues.returns_queue(),
    }
    return render(request, "dashboard/dashboard.html", context)


@require_GET
@staff_member_required
def package_detail(request: HttpRequest, package_id: int) -> HttpResponse:
    page = package_page.package_page_get(package_id=package_id)
    if page is None:
        return _package_not_found(request, package_id)
    context = {
        "page": page,
        "package": page.package,
        "timeline": package_page.package_timeline(package_id),
        "status_name": status_name(PackageStatus, page.package.status, words=True),
        "client_name": page.shipment.client.rsplit(".", 1)[-1] if page.shipment else "",
        "next_check_at": shipment_next_check_shown(shipment=page.shipment) if page.shipment else None,
    }
    return render(request, "dashboard/package.html", context)


def _package_not_found(request: HttpRequest, package_id: int) -> HttpResponse:
    """A styled 404 that says what was not found and leads back to the dashboard."""
    context = {"package_id": package_id}
    return render(request, "dashboard/package_not_found.html", context, status=404)


@require_POST
@staff_member_required
def package_command(request: HttpRequest, package_id: int) -> HttpResponse:
    """Run one command through the package command engine, as the API does; say what happened."""
    slug = request.POST.get("slug", "").strip()
    try:
        log = package_command_run(
            package_id=package_id,
            slug=slug or None,
            input_parameters={},
            actor=request.user,
            source=CommandSource.OPS,
            now=timezone.now(),
        )
    except NotFoundError:
        return _package_not_found(request, package_id)
    except DomainError as exc:
        for problems in exc.errors.values():
            for problem in problems:
                messages.error(request, f"{slug or 'Command'} refused: {problem}")
    else:
        messages.success(
            request,
            f"{log.command} ran: {status_name(PackageStatus, log.old_state, words=True)} → "
            f"{status_name(PackageStatus, log.new_state, words=True)}.",
        )
    return redirect("dashboard:package", package_id=package_id)


@require_GET
@staff_member_required
def webhook_events(request: HttpRequest) -> HttpResponse:
    """Webhook subscriptions and each one's recent deliveries, with attempts and answers."""
    context = {"now": timezone.now(), "subscriptions": subscriptions_with_recent_deliveries(limit=10)}
    return render(request, "dashboard/events.html", context)
