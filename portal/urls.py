"""Root URL configuration: each app mounts its own routes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    # OpenAPI schema of the REST API, with interactive docs beside it.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        # Our template: drf-spectacular's without its Google Fonts links (no CDN).
        SpectacularRedocView.as_view(
            url_name="api-schema", template_name="frontend/apidocs/redoc.html"
        ),
        name="api-redoc",
    ),
    # Marketplace: the Mattermost-compatible /api/v1 surface, the catalog API and downloads.
    path("", include("marketplace.urls")),
    # Certification pipeline API.
    path("", include("certification.urls")),
    # Embedded Mattermost-compatible host servers, each under /hosts/<name>/.
    path("hosts/", include("hostserver.urls")),
    # The server-rendered web UI.
    path("", include("frontend.urls")),
]
