"""Moved to `oms.core.admin_base`; kept only for `oms/omnitron/admin.py` until its import is pointed there."""

from oms.core.admin_base import ReadOnlyAdmin, ReadOnlyTabularInline, package_link

__all__ = ["ReadOnlyAdmin", "ReadOnlyTabularInline", "package_link"]
