from django.urls import path

from . import views

urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("<path:sku>/movements/", views.movement_create, name="movement_create"),
    path(
        "<path:sku>/unmet-demand/",
        views.unmet_demand_create,
        name="unmet_demand_create",
    ),
]
