from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("suggestions/", views.suggestion_list, name="suggestion_list"),
    path(
        "suggestions/accept/", views.suggestions_accept_view, name="suggestions_accept"
    ),
    path(
        "classification-runs/",
        views.classification_run_create,
        name="classification_run_create",
    ),
    path(
        "classification-runs/<int:pk>/",
        views.classification_run_detail,
        name="classification_run_detail",
    ),
    path("account/digest/", views.digest_settings, name="digest_settings"),
    path("backtests/", views.backtest_list, name="backtest_list"),
    path("backtests/<int:pk>/", views.backtest_detail, name="backtest_detail"),
    path(
        "delivery-lines/<int:pk>/remove/",
        views.draft_line_remove_view,
        name="draft_line_remove",
    ),
    path(
        "suggestions/<int:pk>/dismiss/",
        views.suggestion_dismiss_view,
        name="suggestion_dismiss",
    ),
]
