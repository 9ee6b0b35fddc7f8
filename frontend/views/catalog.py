"""Marketplace pages for visitors: the catalog with search and filters, and a plugin's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/catalog/home.html", {"query": request.GET.get("q", "")})
