from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("<str:token>/", views.home, name="home"),
    path("<str:token>/forecast/", views.forecast, name="forecast"),
    path("<str:token>/forecast.json", views.forecast_json_view, name="forecast_json"),
    path("<str:token>/forecast.csv", views.forecast_csv, name="forecast_csv"),
    path("<str:token>/consumption/", views.consumption, name="consumption"),
    path(
        "<str:token>/consumption.json", views.consumption_json, name="consumption_json"
    ),
    path("<str:token>/consumption.csv", views.consumption_csv, name="consumption_csv"),
    path("<str:token>/orders/", views.orders, name="orders"),
    path("<str:token>/orders.json", views.orders_json, name="orders_json"),
    # References may hold "/": the specific suffixes come before the page.
    path(
        "<str:token>/orders/<path:reference>/confirm.json",
        views.confirm_json,
        name="confirm_json",
    ),
    path(
        "<str:token>/orders/<path:reference>/ship-notice.json",
        views.ship_notice_json,
        name="ship_notice_json",
    ),
    path(
        "<str:token>/orders/<path:reference>/ship-notice/",
        views.ship_notice_form,
        name="ship_notice_form",
    ),
    path(
        "<str:token>/orders/<path:reference>/",
        views.order_detail,
        name="order_detail",
    ),
]
