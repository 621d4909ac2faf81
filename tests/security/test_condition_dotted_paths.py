"""Hostile dotted paths in cargo company conditions are refused, and nothing they name is imported.

A condition's `klass` and its `params.conf.klass` resolve only through the closed registry
(`oms/shipments/registry.py`). Each hostile value below is sent in both places, through POST, PUT and
PATCH of the API and through the admin form, and must:

- be refused (400 in the envelope naming the field; the admin form re-rendered with the error);
- store nothing (no new condition; an existing one unchanged);
- import nothing: no module appears in `sys.modules`, and no import of the named module is even
  attempted (`builtins.__import__`, `importlib.import_module` and Django's `import_string` are
  watched during the request) beyond what the same request with the registered path imports
  (the validation's own function-level `from oms.shipments.registry import ...`).

(tests/api/test_cargo_company_conditions.py checks the messages for a few unknown paths and one
unknown module; this module covers paths aimed at code execution, prefix tricks and odd strings.)
"""

import builtins
import importlib
import sys

import pytest
from django.utils import module_loading

from oms.shipments.models import CargoCompanyCondition
from tests.security.rows import CLIENT_KLASS, CONDITION_KLASS, condition_rules

URL = "/api/v1/oms/cargo-company-conditions/"
MISSING_MODULE = "oms_security_probe_no_such_module"

HOSTILE = {
    "os.system": "os.system",
    "subprocess.Popen": "subprocess.Popen",
    "builtins.eval": "builtins.eval",
    "__import__": "__import__('os')",
    "eval-call": 'eval(\'__import__("os").system("id")\')',
    "missing-module": f"{MISSING_MODULE}.Condition",
    "django-model": "django.contrib.auth.models.User",
    "registry-internals": "oms.shipments.registry._lookup",
    "base-condition": "oms.shipments.shipment_conditions.ShipmentCondition",
    "base-client": "oms.shipments.clients.base.ShipmentClient",
    "prefix-suffix": f"{CONDITION_KLASS}X",
    "prefix-attribute": f"{CONDITION_KLASS}.matches",
    "client-prefix-suffix": f"{CLIENT_KLASS}X",
    "trailing-space": f"{CONDITION_KLASS} ",
    "leading-space": f" {CONDITION_KLASS}",
    "other-case": CONDITION_KLASS.lower(),
    "nul": f"{CONDITION_KLASS}\x00",
    "newline": f"{CONDITION_KLASS}\nos.system",
    "path-traversal": "../../../../etc/passwd",
    "non-ascii": "oms.shipments.şhipment_conditions.ChannelBasedOrdersÇondition",
    "homoglyph": CONDITION_KLASS.replace("C", "\u0421"),  # Cyrillic Es
    "very-long": "oms." + "a" * 100_000 + ".Condition",
    "many-dots": "." * 10_000,
    "empty": "",
}


def _module_of(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else path


@pytest.fixture
def import_watch(monkeypatch):
    """The module names anything asks to import while the fixture is active."""
    asked: list[str] = []
    real_import, real_import_module, real_import_string = (
        builtins.__import__,
        importlib.import_module,
        module_loading.import_string,
    )

    def spy_import(name, *args, **kwargs):
        asked.append(name)
        return real_import(name, *args, **kwargs)

    def spy_import_module(name, *args, **kwargs):
        asked.append(name)
        return real_import_module(name, *args, **kwargs)

    def spy_import_string(path):
        asked.append(path)
        return real_import_string(path)

    monkeypatch.setattr(builtins, "__import__", spy_import)
    monkeypatch.setattr(importlib, "import_module", spy_import_module)
    monkeypatch.setattr(module_loading, "import_string", spy_import_string)
    return asked


def _bodies(cargo_company_id: int, channel_id: int, hostile: str) -> dict[str, dict]:
    as_condition = condition_rules(channel_id)
    as_condition["rules"][0]["klass"] = hostile
    as_client = condition_rules(channel_id)
    as_client["rules"][0]["params"]["conf"]["klass"] = hostile
    return {
        "klass": {"cargo_company": cargo_company_id, "rules_configuration": as_condition},
        "conf.klass": {"cargo_company": cargo_company_id, "rules_configuration": as_client},
    }


def _warm_up(api, rows) -> None:
    # Anything the first request imports lazily is imported now, not during the hostile one.
    body = {"cargo_company": rows.cargo_company.pk, "rules_configuration": condition_rules(rows.channel.pk)}
    assert api.put(f"{URL}{rows.condition.pk}/", body, format="json").status_code == 200
    assert (
        api.post(URL, {"rules_configuration": {"rules": [{"klass": "x"}]}}, format="json").status_code == 400
    )


def _imports_of(hostile: str, asked: list[str], legit: set[str]) -> list[str]:
    """Imports of the module the hostile path names, that a request with a valid path does not make."""
    module = _module_of(hostile)
    top = module.split(".")[0]
    suspicious = {hostile, module}
    if top not in ("oms", ""):  # a top-level module the request names (os, subprocess, builtins ...)
        suspicious.add(top)
    return [name for name in asked if name in suspicious and name not in legit]


def _send(api, method: str, condition_id: int, body: dict):
    if method == "post":
        return api.post(URL, body, format="json")
    if method == "put":
        return api.put(f"{URL}{condition_id}/", body, format="json")
    return api.patch(
        f"{URL}{condition_id}/", {"rules_configuration": body["rules_configuration"]}, format="json"
    )


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("where", ["klass", "conf.klass"])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_a_hostile_dotted_path_is_refused_and_nothing_is_imported(
    api, rows, import_watch, hostile, where, method
):
    _warm_up(api, rows)
    valid = CONDITION_KLASS if where == "klass" else CLIENT_KLASS
    import_watch.clear()
    accepted = _send(
        api, method, rows.condition.pk, _bodies(rows.cargo_company.pk, rows.channel.pk, valid)[where]
    )
    assert accepted.status_code in (200, 201), accepted.content[:300]
    legit = set(import_watch)
    body = _bodies(rows.cargo_company.pk, rows.channel.pk, hostile)[where]
    stored_before = list(CargoCompanyCondition.objects.order_by("id").values())
    modules_before = set(sys.modules)
    import_watch.clear()

    response = _send(api, method, rows.condition.pk, body)

    asked = list(import_watch)
    assert response.status_code == 400, response.content[:500]
    error = response.json()
    assert error["status_code"] == 400
    assert list(error["error"]) == ["rules_configuration"]
    assert "not a registered" in error["error"]["rules_configuration"][0]
    # The hostile value is echoed cut to 200 characters, never whole (e.g. 100 000 of them).
    assert len(error["error"]["rules_configuration"][0]) < 500
    assert list(CargoCompanyCondition.objects.order_by("id").values()) == stored_before
    assert set(sys.modules) - modules_before == set()
    assert MISSING_MODULE not in sys.modules
    assert _imports_of(hostile, asked, legit) == []


@pytest.mark.parametrize(
    "hostile", [HOSTILE[name] for name in ("os.system", "missing-module", "prefix-suffix")]
)
@pytest.mark.parametrize("where", ["klass", "conf.klass"])
def test_the_admin_form_refuses_a_hostile_dotted_path_too(client, rows, import_watch, hostile, where):
    import json

    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="root-password-123"))
    body = _bodies(rows.cargo_company.pk, rows.channel.pk, hostile)[where]
    valid = _bodies(
        rows.cargo_company.pk, rows.channel.pk, CONDITION_KLASS if where == "klass" else CLIENT_KLASS
    )
    client.get("/admin/shipments/cargocompanycondition/add/")  # warm up lazy imports
    import_watch.clear()
    client.post(
        "/admin/shipments/cargocompanycondition/add/",
        {"cargo_company": 999_999, "rules_configuration": json.dumps(valid[where]["rules_configuration"])},
    )
    legit = set(import_watch)
    count = CargoCompanyCondition.objects.count()
    modules_before = set(sys.modules)
    import_watch.clear()

    response = client.post(
        "/admin/shipments/cargocompanycondition/add/",
        {
            "cargo_company": body["cargo_company"],
            "rules_configuration": json.dumps(body["rules_configuration"]),
        },
    )

    assert response.status_code == 200  # the form again, not a redirect to the saved row
    assert b"not a registered" in response.content
    assert CargoCompanyCondition.objects.count() == count
    assert set(sys.modules) - modules_before == set()
    assert _imports_of(hostile, list(import_watch), legit) == []
