"""What one resolution cycle did, as counted for the log, the command line and the health row."""

from dataclasses import dataclass, field


@dataclass
class CycleResult:
    skipped: str = ""
    checked: int = 0
    applied: list[str] = field(default_factory=list)
    backward: int = 0
    unknown: int = 0
    missing: int = 0
    tracking_changes: list[str] = field(default_factory=list)
    stale: int = 0
    errors: list[str] = field(default_factory=list)
    batches: int = 0
    failed_batches: int = 0
    filled: int = 0  # not-yet-due shipments that filled requests (under a read budget)
    budget_spent: bool = False  # the cycle stopped because the minute's Omnitron reads were spent

    def add(self, other: "CycleResult") -> None:
        """Count what `other` (one chunk's work, committed) counted."""
        self.checked += other.checked
        self.applied += other.applied
        self.backward += other.backward
        self.unknown += other.unknown
        self.missing += other.missing
        self.tracking_changes += other.tracking_changes
        self.stale += other.stale
        self.errors += other.errors

    def summary(self) -> dict[str, int | str]:
        return {
            "skipped": self.skipped,
            "checked": self.checked,
            "applied": len(self.applied),
            "backward": self.backward,
            "unknown": self.unknown,
            "missing": self.missing,
            "tracking_changes": len(self.tracking_changes),
            "stale": self.stale,
            "errors": len(self.errors),
            "batches": self.batches,
            "failed_batches": self.failed_batches,
        }
