"""Who may do what in the REST API.

- Everything needs an authenticated staff user (``is_staff``); other users get 403.
- Staff may read everything and use the operational actions (post movements,
  receive deliveries, accept or dismiss suggestions).
- Changing master data (items, suppliers, sources, deliveries) needs a superuser
  or the model's Django permission (add/change/delete), i.e. an explicit role.
"""

from rest_framework import permissions


class IsStaff(permissions.BasePermission):
    message = "Staff only."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class StaffReadsAdminWrites(permissions.DjangoModelPermissions):
    """Staff read; writes need the model permission (superusers have all)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": [],
        "HEAD": [],
        "OPTIONS": [],
    }

    def has_permission(self, request, view):
        return IsStaff().has_permission(request, view) and super().has_permission(
            request, view
        )


class IsSuperuser(permissions.BasePermission):
    message = "Administrators only."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)
