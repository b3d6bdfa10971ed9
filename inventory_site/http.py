"""Small helpers shared by the server-rendered views."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def staff_only(request) -> None:
    """Staff (and superusers) may change things; other signed-in users only look."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may do this.")


def redirect_back(request, default: str, *args, **kwargs):
    """Redirect to the posted ``next`` when it is a local URL, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default, *args, **kwargs)
