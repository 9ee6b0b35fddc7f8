"""The OpenAPI schema of the catalog API is complete and valid."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

CATALOG_PATHS = {
    "/api/catalog/plugins/",
    "/api/catalog/plugins/{plugin_id}/",
    "/api/catalog/plugins/{plugin_id}/releases/",
    "/api/catalog/plugins/{plugin_id}/releases/{version}/",
    "/api/catalog/releases/",
}


def test_catalog_schema_is_valid_and_generated_without_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    generator = SchemaGenerator(patterns=[path("api/catalog/", include("marketplace.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    err = capsys.readouterr().err
    assert "Warning" not in err and "Error" not in err, err
    assert set(schema["paths"]) == CATALOG_PATHS
    listing = schema["paths"]["/api/catalog/plugins/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {
        "author_type",
        "release_stage",
        "label",
        "enterprise",
        "hosting",
        "certified",
        "compatible_with",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= params
    upload = schema["paths"]["/api/catalog/releases/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "400", "403", "409"} <= set(upload["responses"])


@pytest.mark.django_db
def test_project_schema_serves_the_catalog_paths(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert set(response.json()["paths"]) >= CATALOG_PATHS
