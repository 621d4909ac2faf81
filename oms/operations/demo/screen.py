"""What `oms demo` shows: a table of the demo's orders, redrawn in place on a terminal."""

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from oms.core.statuses import PackageStatus, status_name

# The package statuses the demo goes through, in order, as the API names them.
PACKAGE_PROGRESS = tuple(
    status_name(PackageStatus, status)
    for status in (
        PackageStatus.WAITING,
        PackageStatus.PREPARING,
        PackageStatus.READY_TO_PACK,
        PackageStatus.PACKED,
        PackageStatus.SHIPPED,
        PackageStatus.ATTEMPTED_DELIVERY,
        PackageStatus.DELIVERED,
    )
)
PROGRESS_EVERY_SECONDS = 5.0
SPINNER = "|/-\\"


@dataclass
class Row:
    """One demo order, as the table shows it."""

    omnitron_pk: int
    number: str
    tracking_number: str
    omnitron_status: str
    created_at: float
    order_id: int | None = None
    package_id: int | None = None
    package_number: str = ""
    package_status: str = ""
    shipment_tracking: str = ""
    report: str = ""
    next_check_at: datetime | None = None
    # Whether the row has reached what the demo is waiting for now (the progress line names the others).
    done: bool = False

    def reached(self, status: str) -> bool:
        if self.package_status not in PACKAGE_PROGRESS:
            return False
        return PACKAGE_PROGRESS.index(self.package_status) >= PACKAGE_PROGRESS.index(status)


COLUMNS = (
    ("Order", lambda row: row.number),
    ("Omnitron", lambda row: str(row.omnitron_pk)),
    ("Package", lambda row: row.package_number or "-"),
    ("Status", lambda row: row.package_status or "not in OMS yet"),
    ("Tracking number", lambda row: row.shipment_tracking or "-"),
    ("Report", lambda row: row.report or "-"),
    ("Omnitron status", lambda row: row.omnitron_status),
    ("Next check", lambda row: _next_check(row)),
)
# Columns of the progressive lines (no terminal): the countdown would make every poll a new line.
LINE_COLUMNS = COLUMNS[:-1]
FOLLOWED_PACKAGE_STATUSES = tuple(
    status_name(PackageStatus, status)
    for status in (PackageStatus.PACKED, PackageStatus.SHIPPED, PackageStatus.ATTEMPTED_DELIVERY)
)


def _next_check(row: Row) -> str:
    """When OMS reads the shipment's order in Omnitron next (only while it follows it)."""
    if row.next_check_at is None or row.package_status not in FOLLOWED_PACKAGE_STATUSES:
        return "-"
    seconds = (row.next_check_at - datetime.now(UTC)).total_seconds()
    return "due" if seconds <= 0 else f"in {seconds:.0f} s"


def table_lines(rows: Iterable[Row]) -> list[str]:
    """The rows as an aligned text table, header first."""
    cells = [[name for name, _ in COLUMNS]] + [[value(row) for _, value in COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]


class Screen:
    """What the demo prints. On a terminal the table stays at the bottom, redrawn in place (ANSI);
    otherwise each change of a row and, now and then, the progress are printed as new lines."""

    def __init__(self, write: Callable[[str], None], tty: bool) -> None:
        self._write = write
        self.tty = tty
        self._block: list[str] = []
        self._shown: dict[int, str] = {}
        self._last_progress = 0.0
        self._spin = 0

    def say(self, text: str = "") -> None:
        """A log line (above the table on a terminal)."""
        if self.tty and self._block:
            self._write(self._erase() + text + "\n" + "".join(line + "\n" for line in self._block))
        else:
            self._write(text + "\n")

    def update(self, rows: list[Row], progress: str, now: float, elapsed: float) -> None:
        """Show the rows' current state and what the demo is waiting for."""
        if self.tty:
            self._spin = (self._spin + 1) % len(SPINNER)
            self._draw(["", *table_lines(rows), "", f"{SPINNER[self._spin]} {progress}"])
            return
        for row in rows:
            line = "  ".join(f"{name.lower()} {value(row)}" for name, value in LINE_COLUMNS)
            if self._shown.get(row.omnitron_pk) != line:
                self._shown[row.omnitron_pk] = line
                self._last_progress = now
                self._write(f"  {elapsed:4.0f} s  {line}\n")
        if now - self._last_progress >= PROGRESS_EVERY_SECONDS:
            self._last_progress = now
            self._write(f"  ... {progress}\n")

    def settle(self, rows: list[Row]) -> None:
        """A wait is over: on a terminal, the table stays at the bottom without the progress line."""
        if self.tty:
            self._draw(["", *table_lines(rows), ""])

    def finish(self, rows: list[Row]) -> None:
        """Leave the table where it is (printing it whole when not on a terminal); lines follow it."""
        if self.tty:
            self.settle(rows)
            self._block = []
            return
        for line in ["", *table_lines(rows), ""]:
            self._write(line + "\n")

    def _draw(self, block: list[str]) -> None:
        """Replace the block on screen; lines are cut to the terminal's width so none wraps (a wrapped
        line would throw off the cursor movement of the next redraw)."""
        width = max(shutil.get_terminal_size().columns - 1, 20)
        block = [line[:width] for line in block]
        self._write(self._erase() + "".join(line + "\n" for line in block))
        self._block = block

    def _erase(self) -> str:
        if not self._block:
            return ""
        # Up to the first line of the block, then clear to the end of the screen.
        return f"\x1b[{len(self._block)}F\x1b[J"
