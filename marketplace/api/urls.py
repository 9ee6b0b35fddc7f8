"""Routes of the catalog REST API (mounted at /api/catalog/)."""

from django.urls import URLPattern, URLResolver, path

from marketplace.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.CatalogRootView.as_view(), name="catalog-root"),
    path("plugins/", views.PluginListView.as_view(), name="catalog-plugin-list"),
    path(
        "plugins/<str:plugin_id>/", views.PluginDetailView.as_view(), name="catalog-plugin-detail"
    ),
    path(
        "plugins/<str:plugin_id>/releases/",
        views.PluginReleaseListView.as_view(),
        name="catalog-plugin-releases",
    ),
    path(
        "plugins/<str:plugin_id>/releases/<str:version>/",
        views.ReleaseDetailView.as_view(),
        name="catalog-release-detail",
    ),
    path("releases/", views.ReleaseListView.as_view(), name="catalog-release-list"),
]
