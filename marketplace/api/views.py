"""Views of the catalog API: plugins, releases, version histories, and release upload."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import filters as drf_filters
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from marketplace import selectors, services
from marketplace.api.base import CanPublish, CatalogView
from marketplace.api.filters import PluginFilter, ReleaseFilter
from marketplace.api.serializers import (
    PluginDetailSerializer,
    PluginSerializer,
    ProblemSerializer,
    ReleaseDetailSerializer,
    ReleaseSerializer,
    ReleaseUploadSerializer,
)
from marketplace.models import Plugin, Release

_FILTERS = [DjangoFilterBackend, drf_filters.SearchFilter, drf_filters.OrderingFilter]
_NOT_FOUND = OpenApiResponse(ProblemSerializer, description="No such plugin or release")


@extend_schema(exclude=True)
class CatalogRootView(CatalogView):
    """The API's entry point: where its collections, schema and docs are."""

    pagination_class = None

    def get(self, request: Request) -> Response:
        return Response(
            {
                "plugins": reverse("catalog-plugin-list", request=request),
                "releases": reverse("catalog-release-list", request=request),
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
                "marketplace": reverse("marketplace-plugins", request=request),
            }
        )


@extend_schema(tags=["catalog"])
class PluginListView(CatalogView, generics.ListAPIView):
    """Plugins of the catalog, each with its newest release."""

    serializer_class = PluginSerializer
    filter_backends = _FILTERS
    filterset_class = PluginFilter
    search_fields = ["plugin_id", "name", "description"]
    ordering_fields = ["plugin_id", "name", "download_count", "updated_at", "release_count"]
    ordering = ["plugin_id"]

    def get_queryset(self) -> QuerySet[Plugin]:
        return selectors.plugin_list()

    @extend_schema(summary="List and search plugins")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class PluginDetailView(CatalogView, generics.RetrieveAPIView):
    serializer_class = PluginDetailSerializer

    def get_object(self) -> Plugin:
        return selectors.plugin_get(self.kwargs["plugin_id"])

    @extend_schema(summary="A plugin", responses={200: PluginDetailSerializer, 404: _NOT_FOUND})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class PluginReleaseListView(CatalogView, generics.ListAPIView):
    """A plugin's version history, newest version first."""

    serializer_class = ReleaseSerializer
    filter_backends = _FILTERS
    filterset_class = ReleaseFilter
    search_fields = ["version"]
    ordering_fields = ["version_key", "updated_at", "download_count"]

    def get_queryset(self) -> QuerySet[Release]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return Release.objects.none()
        selectors.plugin_get(self.kwargs["plugin_id"])  # 404 for an unknown plugin
        return selectors.release_list(plugin_id=self.kwargs["plugin_id"])

    @extend_schema(summary="A plugin's releases (version history, newest first)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class ReleaseDetailView(CatalogView, generics.RetrieveAPIView):
    serializer_class = ReleaseDetailSerializer

    def get_object(self) -> Release:
        return selectors.release_get(self.kwargs["plugin_id"], self.kwargs["version"])

    @extend_schema(
        summary="A release: download URL, sha256, signature, certification",
        responses={200: ReleaseDetailSerializer, 404: _NOT_FOUND},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class ReleaseListView(CatalogView, generics.ListAPIView):
    """Every release of the catalog; ``POST`` publishes a bundle (staff and portal admins)."""

    serializer_class = ReleaseSerializer
    filter_backends = _FILTERS
    filterset_class = ReleaseFilter
    search_fields = ["plugin__plugin_id", "plugin__name", "plugin__description", "version"]
    ordering_fields = ["version_key", "updated_at", "download_count", "plugin__plugin_id"]
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self) -> Any:
        if self.request.method == "POST":
            return [IsAuthenticated(), CanPublish()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[Release]:
        return selectors.release_list()

    @extend_schema(summary="List and search releases")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Publish a bundle: validate, store, sign and list it",
        request=ReleaseUploadSerializer,
        responses={
            201: ReleaseDetailSerializer,
            400: OpenApiResponse(ProblemSerializer, description="Invalid input or bundle"),
            403: OpenApiResponse(ProblemSerializer, description="Not staff or portal admin"),
            409: OpenApiResponse(ProblemSerializer, description="This version already exists"),
        },
    )
    def post(self, request: Request) -> Response:
        upload = ReleaseUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        release = services.release_publish(
            bundle=data["bundle"],
            author_type=data["author_type"],
            release_stage=data["release_stage"],
            enterprise=data["enterprise"],
            hosting=data["hosting"],
            release_notes_url=data["release_notes_url"],
            actor=request.user if request.user.is_authenticated else None,
        )
        body = ReleaseDetailSerializer(release, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})
