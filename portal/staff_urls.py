"""Staff pages of the portal (behind the login, like every staff page)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "suppliers/<path:code>/portal-link/",
        views.staff_link_create,
        name="portal_link_create",
    ),
    path(
        "suppliers/<path:code>/portal-link/revoke/",
        views.staff_links_revoke,
        name="portal_links_revoke",
    ),
]
