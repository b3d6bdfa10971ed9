"""Small helpers shared by the server-rendered views."""

from django.conf import settings
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


def client_ip(request) -> str:
    """The client's address for the login lockout (django-axes), by the same rule
    as DRF's throttles with ``NUM_PROXIES``: ``X-Forwarded-For`` counts only with
    ``TRUSTED_PROXY_COUNT`` proxies in front, and then only the address the
    nearest trusted proxy saw (what a client writes itself is further left)."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote_addr
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip() or remote_addr
