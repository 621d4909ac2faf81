"""The packing work list page (`/ops/packages/`): staff only; views parse, call, render."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from oms.dashboard.worklist import (
    BULK_COMMAND_LIMIT,
    PACKAGING,
    WorklistFilterForm,
    worklist_get,
    worklist_pack,
    worklist_scan_single,
)

_RESULTS_KEY = "worklist_pack_results"


@require_GET
@staff_member_required
def worklist(request: HttpRequest) -> HttpResponse:
    form = WorklistFilterForm(request.GET or None)
    values = form.values()
    scan = values["scan"]
    if scan and values["mode"] == "open":
        package_id = worklist_scan_single(scan=scan)
        if package_id is not None:
            return redirect("dashboard:package", package_id=package_id)
    results = request.session.pop(_RESULTS_KEY, None)
    context = {
        "form": form,
        "values": values,
        "worklist": worklist_get(
            stage=values["stage"],
            channel=values["channel"],
            cargo_company=values["cargo_company"],
            scan=scan,
            now=timezone.now(),
        ),
        "results": results,
        "packed_ids": ",".join(str(r["package_id"]) for r in results or [] if r["done"]),
        "labels_url": reverse("package-labels"),
        "packaging": PACKAGING,
    }
    return render(request, "dashboard/worklist.html", context)


@require_POST
@staff_member_required
def worklist_pack_selected(request: HttpRequest) -> HttpResponse:
    """Pack the selected packages through the bulk command engine; the list shows each result."""
    raw = request.POST.getlist("packages")
    ids = list(dict.fromkeys(int(value) for value in raw if value.isdigit() and 0 < int(value) < 2**63))
    if not ids:
        messages.error(request, "Select the packages to pack first (tick their boxes).")
    elif len(ids) > BULK_COMMAND_LIMIT:
        messages.error(request, f"At most {BULK_COMMAND_LIMIT} packages at once; select fewer.")
    else:
        results = worklist_pack(package_ids=ids, actor=request.user, now=timezone.now())
        request.session[_RESULTS_KEY] = [
            {"package_id": r.package_id, "number": r.number, "done": r.done, "message": r.message}
            for r in results
        ]
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/ops/packages/") else reverse("dashboard:worklist"))
