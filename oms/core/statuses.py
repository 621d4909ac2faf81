"""Status codes shared by the whole service (the numeric codes of the OMS and Omnitron contracts)."""

from django.db import models


class OrderStatus(models.IntegerChoices):
    """Omnitron's order status codes; OMS orders and order items use the same code space."""

    CANCELLATION_WAITING = 50, "Cancellation waiting"
    CANCELLED = 100, "Cancelled"
    WAITING = 200, "Waiting"
    PAYMENT_WAITING = 300, "Payment waiting"
    CONFIRMATION_WAITING = 350, "Confirmation waiting"
    APPROVED = 400, "Approved"
    PREPARING = 450, "Preparing"
    SHIPPED = 500, "Shipped"
    SHIPPED_AND_INFORMED = 510, "Shipped and informed"
    READY_FOR_PICKUP = 520, "Ready for pickup"
    ATTEMPTED_DELIVERY = 540, "Attempted delivery"
    REVIEW_STARTED = 544, "Review started"
    REVIEW_WAITING = 545, "Review waiting"
    WAITING_FOR_PAYMENT = 546, "Waiting for payment"
    PAID = 547, "Paid"
    DELIVERED = 550, "Delivered"
    REFUNDED = 600, "Refunded"


# How far an order item has gone, first to last, for "never report a status backwards": an item is
# at or past a status when its rank is at least that status's rank. Shipping moves forward from
# preparing (450) to delivered; the return reviews follow delivery; a cancellation (pending or done)
# and a refund end an item's life, so nothing OMS reports may overwrite them.
ORDER_STATUS_PROGRESS: tuple[OrderStatus, ...] = (
    OrderStatus.WAITING,
    OrderStatus.PAYMENT_WAITING,
    OrderStatus.CONFIRMATION_WAITING,
    OrderStatus.APPROVED,
    OrderStatus.PREPARING,
    OrderStatus.SHIPPED,
    OrderStatus.SHIPPED_AND_INFORMED,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.ATTEMPTED_DELIVERY,
    OrderStatus.DELIVERED,
    OrderStatus.REVIEW_STARTED,
    OrderStatus.REVIEW_WAITING,
    OrderStatus.WAITING_FOR_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.CANCELLATION_WAITING,
    OrderStatus.CANCELLED,
    OrderStatus.REFUNDED,
)
ORDER_STATUS_RANK: dict[int, int] = {int(status): rank for rank, status in enumerate(ORDER_STATUS_PROGRESS)}


def order_status_reached(current: int, target: int) -> bool:
    """Whether an item in status `current` is already at or past `target` (see ORDER_STATUS_RANK).

    A code outside the list counts as reached: OMS does not know where it stands, so it must not
    overwrite it.
    """
    if current not in ORDER_STATUS_RANK or target not in ORDER_STATUS_RANK:
        return current not in ORDER_STATUS_RANK
    return ORDER_STATUS_RANK[current] >= ORDER_STATUS_RANK[target]


def order_statuses_before(target: int) -> list[int]:
    """The order statuses an item or order may move from to reach `target` (rank below it): never a
    cancelled, cancellation-waiting or refunded one, whatever their codes."""
    rank = ORDER_STATUS_RANK.get(target)
    if rank is None:
        return []
    return [int(status) for status in ORDER_STATUS_PROGRESS[:rank]]


class PackageStatus(models.IntegerChoices):
    """Package and package item statuses."""

    WAITING = 100, "Waiting"
    PREPARING = 200, "Preparing"
    READY_TO_PACK = 400, "Ready to pack"
    PACKED = 500, "Packed"
    SHIPPED = 700, "Shipped"
    ATTEMPTED_DELIVERY = 720, "Attempted delivery"
    DELIVERED = 800, "Delivered"
    OUT_OF_STOCK = 920, "Out of stock"
    CANCELLED = 950, "Cancelled"
    PACKED_FOR_REFUND = 1100, "Packed for refund"


class ShipmentStatus(models.IntegerChoices):
    CREATED = 500, "Created"
    SHIPPED = 700, "Shipped"
    ATTEMPTED_DELIVERY = 720, "Attempted delivery"
    DELIVERED = 800, "Delivered"
    # The package was cancelled before the carrier had it: no longer followed.
    CANCELLED = 950, "Cancelled"


# How a missing status (no row, no code) is shown.
NO_STATUS = "—"


def status_name(choices: type[models.IntegerChoices], code: int | None, *, words: bool = False) -> str:
    """A status code for people: its machine name (500 -> "packed", as the API writes it) or, with
    `words`, its label ("ready to pack", as pages show it). A code outside the list (an old row)
    shows as its number; no code as a dash."""
    if code is None:
        return NO_STATUS
    try:
        member = choices(code)
    except ValueError:
        return str(code)
    return member.label.lower() if words else member.name.lower()


def status_from_name(choices: type[models.IntegerChoices], name: str | int) -> int:
    """Status code of a machine name ("packed") or of its code as text ("500")."""
    text = str(name).strip()
    for member in choices:
        if member.name.lower() == text.lower() or str(member.value) == text:
            return member.value
    raise ValueError(text)


def status_names(choices: type[models.IntegerChoices]) -> list[str]:
    return [member.name.lower() for member in choices]
