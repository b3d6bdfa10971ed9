from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from inventory_site.health import healthz
from items import views as items_views
from replenishment import views as replenishment_views

# Every /items/… page, declared here because the item page combines apps
# (``replenishment.pages``). ``<path:sku>`` matches "/" (SKUs like M6/20), so the
# movement and unmet-demand forms' URLs are tried before the item page.
items_urlpatterns = [
    path("", items_views.item_list, name="item_list"),
    path("<path:sku>/movements/", items_views.movement_create, name="movement_create"),
    path(
        "<path:sku>/unmet-demand/",
        items_views.unmet_demand_create,
        name="unmet_demand_create",
    ),
    path("<path:sku>/", replenishment_views.item_detail, name="item_detail"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("inventory_site.api_router")),
    path("items/", include(items_urlpatterns)),
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
