from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from inventory_site.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("inventory_site.api_router")),
    path("items/", include("items.urls")),
    path("portal/", include("portal.urls")),
    path("", include("portal.staff_urls")),
    path("", include("suppliers.urls")),
    path("", include("replenishment.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
