"""Small helpers shared by the server-rendered views.

A refused business rule (``inventory_site.errors.DomainError``) reaches a page
in one of two ways, both here: on the form that was posted (``form_add_error``:
its field errors on their fields, else the message on the form) or as a message
on the next page (``messages_add_error``). A page that renders the refusal
answers with the error's ``status`` (400 bad input, 409 not allowed now).
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import DomainError
from .formatting import prefixed


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


def form_add_error(form, error: DomainError) -> None:
    """Show ``error`` on ``form``: each field error on the form's field of that
    name, and the message as a form-wide error when none of them is one of the
    form's fields."""
    placed = False
    for name, errors in error.fields.items():
        flat = isinstance(errors, list) and all(isinstance(e, str) for e in errors)
        if name in form.fields and flat:
            form.add_error(name, errors)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def messages_add_error(request, error: DomainError, *, prefix: str = "") -> None:
    """Show ``error`` as an error message on the next page; ``prefix`` says what
    did not happen ("Nothing recorded": "Nothing recorded: <message>", unless the
    message says so itself, ``inventory_site.formatting.prefixed``)."""
    text = prefixed(prefix, error.message) if prefix else error.message
    messages.error(request, text)
