from django.urls import path

from . import views

urlpatterns = [
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/<path:code>/", views.supplier_detail, name="supplier_detail"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path(
        "deliveries/<path:reference>/receive/",
        views.delivery_receive_view,
        name="delivery_receive",
    ),
    path("deliveries/<path:reference>/", views.delivery_detail, name="delivery_detail"),
]
