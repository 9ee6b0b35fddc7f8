"""URL routes of the marketplace app."""

from django.urls import URLPattern, URLResolver, include, path, re_path

from marketplace import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/plugins", views.plugins, name="marketplace-plugins"),
    path("api/v1/labels", views.labels, name="marketplace-labels"),
    path("api/v1/health", views.health, name="marketplace-health"),
    # Exact paths only, as gorilla/mux routes them: anything else under /api/v1 is a 404.
    re_path(r"^api/v1(?P<rest>/.*)?$", views.not_found),
    path(
        "downloads/<str:plugin_id>/<str:version>/<str:filename>",
        views.download,
        name="marketplace-download",
    ),
    path("api/catalog/", include("marketplace.api.urls")),
]
