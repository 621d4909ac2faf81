"""The event types OMS emits to webhook subscriptions (Akinon's names)."""

PACKAGE_CREATED = "package.created"
PACKAGE_TRANSITIONED = "package.status.transitioned"
PACKAGE_PACKED = "package.status.packed"
PACKAGE_SHIPPED = "package.status.shipped"
PACKAGE_CANCELLED = "package.status.cancelled"
SHIPMENT_CREATED = "shipment.created"
SHIPMENT_STATUS_UPDATED = "shipment.status.updated"

# type -> what it says, for the README, the API schema and the admin.
EVENT_TYPES: dict[str, str] = {
    PACKAGE_CREATED: "A package was planned for an ingested order; data: the package.",
    PACKAGE_TRANSITIONED: "A package changed status (any command or resolution); data: the package.",
    PACKAGE_PACKED: "A package became packed; data: the package.",
    PACKAGE_SHIPPED: "The marketplace's carrier has the package (shipped); data: the package.",
    PACKAGE_CANCELLED: "A package was cancelled; data: the package.",
    SHIPMENT_CREATED: "A shipment was created when its package was packed; data: the shipment.",
    SHIPMENT_STATUS_UPDATED: "A shipment's status moved forward; data: the shipment.",
}

# A subscription to this type receives every event.
ALL_TYPES = "*"

# The package status codes (oms.core.statuses.PackageStatus) with an event of their own.
PACKAGE_STATUS_EVENTS: dict[int, str] = {500: PACKAGE_PACKED, 700: PACKAGE_SHIPPED, 950: PACKAGE_CANCELLED}


def package_status_event_types(new_status: int) -> list[str]:
    """The events a package status change gives: always `transitioned`, plus the status's own."""
    types = [PACKAGE_TRANSITIONED]
    if new_status in PACKAGE_STATUS_EVENTS:
        types.append(PACKAGE_STATUS_EVENTS[new_status])
    return types


def package_key(package_id: int) -> str:
    """The ordering key of a package's events: per key and subscription, delivery keeps order."""
    return f"package:{package_id}"
