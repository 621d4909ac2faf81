from rest_framework import permissions


class IsStaffOrReadOnly(permissions.BasePermission):
    """Configuration: any authenticated user may read; only staff may change it."""

    message = "Only staff users may change configuration. Ask an administrator to make the change."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_staff
