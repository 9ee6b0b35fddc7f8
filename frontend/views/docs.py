"""The page that documents the portal's APIs, beside the interactive OpenAPI docs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def api_docs(request: HttpRequest) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    return render(request, "frontend/api_docs.html", {"base": base})
