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
    path(
        "deliveries/<path:reference>/place/",
        views.delivery_place_view,
        name="delivery_place",
    ),
    path(
        "deliveries/<path:reference>/cancel/",
        views.delivery_cancel_view,
        name="delivery_cancel",
    ),
    path(
        "deliveries/<path:reference>/close-short/",
        views.delivery_close_short_view,
        name="delivery_close_short",
    ),
    path(
        "deliveries/<path:reference>/send/",
        views.delivery_send_view,
        name="delivery_send",
    ),
    path(
        "deliveries/<path:reference>/purchase-order.pdf",
        views.delivery_document_pdf,
        name="delivery_document_pdf",
    ),
    path(
        "deliveries/<path:reference>/print/",
        views.delivery_document_print,
        name="delivery_document_print",
    ),
    path(
        "delivery-lines/<int:pk>/quantity/",
        views.delivery_line_quantity_view,
        name="delivery_line_quantity",
    ),
    path("deliveries/<path:reference>/", views.delivery_detail, name="delivery_detail"),
]
