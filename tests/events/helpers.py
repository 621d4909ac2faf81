import re
from pathlib import Path

from django.db import transaction

from oms.events.catalogue import PACKAGE_TRANSITIONED, package_key
from oms.events.delivery import events_deliver_due
from oms.events.models import OPEN_STATES, EventDelivery
from oms.events.services import event_record

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify():
    """The signature check the README gives receivers, taken from the README itself."""
    text = README.read_text()
    section = text[text.index("## Receiving events") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md (Receiving events)", "exec"), namespace)
    return namespace["verify"]


def record_events(*, packages: list[int], per_package: int, now) -> list[tuple[str, int]]:
    """Record `per_package` events for each package, interleaved; returns (key, seq) in order."""
    recorded = []
    with transaction.atomic():
        for seq in range(per_package):
            for package_id in packages:
                event_record(
                    type=PACKAGE_TRANSITIONED,
                    key=package_key(package_id),
                    data={"package": package_id, "seq": seq},
                    now=now,
                )
                recorded.append((package_key(package_id), seq))
    return recorded


def deliver_until_done(clock, *, rounds: int = 60, step_minutes: int = 60, **kwargs) -> None:
    for _ in range(rounds):
        events_deliver_due(now_fn=clock, **kwargs)
        if not EventDelivery.objects.filter(state__in=OPEN_STATES).exists():
            return
        clock.advance(minutes=step_minutes)
    raise AssertionError("events still open after every round")


def assert_in_order_per_package(requests) -> None:
    """No request of a package's event before every earlier event of that package was accepted."""
    accepted: dict[int, set[int]] = {}
    for request in requests:
        data = request.event["data"]
        done = accepted.setdefault(data["package"], set())
        missing = set(range(data["seq"])) - done
        assert not missing, f"package {data['package']} event {data['seq']} sent before {sorted(missing)}"
        if 200 <= request.status < 300:
            done.add(data["seq"])
