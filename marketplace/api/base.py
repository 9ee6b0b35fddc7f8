"""What every catalog API view shares: errors as problem JSON, ETags, throttling, permissions."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponseNotModified
from django.utils.http import quote_etag
from rest_framework import permissions
from rest_framework.exceptions import APIException
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from common.errors import PortalError
from common.roles import is_portal_admin


class CatalogAnonThrottle(AnonRateThrottle):
    """Anonymous reads of the catalog: the ``catalog`` rate, else the ``anon`` rate."""

    scope = "catalog"

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        rate = rates.get(self.scope) or rates.get("anon")
        return str(rate) if rate else None


class CatalogPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CanPublish(permissions.BasePermission):
    """Reads for everyone; writes for staff and portal admins."""

    message = "Only staff and portal admins may publish releases."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or is_portal_admin(user)))


def problem(*, status: int, title: str, detail: str, code: str) -> Response:
    return Response(
        {
            "type": f"urn:plugin-portal:error:{code}",
            "title": title,
            "status": status,
            "detail": detail,
        },
        status=status,
        content_type="application/problem+json",
    )


class CatalogView(APIView):
    """Base of the catalog views: conditional GET by ETag and one error mapping."""

    throttle_classes = [CatalogAnonThrottle, UserRateThrottle]
    pagination_class: type[BasePagination] | None = CatalogPagination
    permission_classes = [CanPublish]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PortalError):
            return problem(
                status=exc.http_status,
                title=exc.code.replace("_", " "),
                detail=exc.message,
                code=exc.code,
            )
        response = super().handle_exception(exc)
        if isinstance(exc, APIException) and isinstance(response.data, dict):
            detail = response.data.get("detail", response.data)
            response.data = {
                "type": f"urn:plugin-portal:error:{exc.default_code}",
                "title": str(exc.default_detail),
                "status": response.status_code,
                "detail": detail if isinstance(detail, str) else "invalid input",
                **({"errors": response.data} if "detail" not in response.data else {}),
            }
            response.content_type = "application/problem+json"
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        response.render()
        etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
        response["ETag"] = etag
        response["Vary"] = "Accept, Authorization, Cookie"
        candidates = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
        if etag in candidates or f"W/{etag}" in candidates or "*" in candidates:
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            not_modified["Vary"] = response["Vary"]
            return not_modified
        return response
