from rest_framework import permissions


class IsStaffOrReadOnly(permissions.BasePermission):
    """Configuration resources: any authenticated user may read; only staff may change them.

    Used by channels, cargo companies, cargo company conditions, state transitions and
    application settings:

    - no token (or a bad one): 401, whatever the method;
    - a non-staff user's token: `GET`, `HEAD` and `OPTIONS` are allowed; `POST`, `PUT`, `PATCH`
      and `DELETE` answer 403 and change nothing;
    - a staff user's token (`is_staff`): every method the endpoint offers.

    Orders, packages and shipments are read with any authenticated user's token (the default
    `IsAuthenticated`).
    """

    message = "Only staff users may change configuration. Ask an administrator to make the change."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_staff
