"""Root URL configuration: each app mounts its own routes."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Marketplace: the Mattermost-compatible /api/v1 surface, the catalog API and downloads.
    path("", include("marketplace.urls")),
    # Certification pipeline API.
    path("", include("certification.urls")),
    # Embedded Mattermost-compatible host servers, each under /hosts/<name>/.
    path("hosts/", include("hostserver.urls")),
    # The server-rendered web UI.
    path("", include("frontend.urls")),
]
