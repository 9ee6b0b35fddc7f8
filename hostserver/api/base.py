"""The request pipeline of the v4 API, written once, as Mattermost's ``web.Handler`` does it.

Every route under ``/hosts/<name>/api/v4`` goes through :func:`route`: request id, host lookup,
method check (405), body caps (413), token parsing (cookie, then ``Authorization``), the CSRF
rule for cookie sessions, then the handler; every exception becomes an ``AppError`` JSON body
with Mattermost's headers. Django's CSRF middleware is bypassed here because Mattermost's own
rule applies instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from common.errors import Conflict, InvalidInput, NotAllowed, NotFound, PortalError, UpstreamError
from common.roles import is_portal_admin
from hostserver import errors
from hostserver.errors import AppError
from hostserver.ids import new_id
from hostserver.models import HostServer, HostToken
from hostserver.selectors import host_get, token_find

logger = logging.getLogger(__name__)

XHR = "XMLHttpRequest"
SESSION_COOKIE = "MMAUTHTOKEN"
USER_COOKIE = "MMUSERID"
CSRF_COOKIE = "MMCSRF"
# Mattermost caps request bodies at the configured size plus bytes.MinRead (512).
BODY_SLACK = 512


@dataclass
class Reply:
    """A handler's answer: JSON ``data`` with a status, extra headers and cookies."""

    data: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[dict[str, Any]] = field(default_factory=list)
    delete_cookies: list[str] = field(default_factory=list)


def status_ok() -> Reply:
    return Reply({"status": "OK"})


@dataclass
class Context:
    request: HttpRequest
    host: HostServer
    request_id: str
    params: dict[str, str]
    session: HostToken | None = None
    token: str = ""
    token_location: str = ""
    # Set when a cookie carried an invalid session: the answer clears MMAUTHTOKEN.
    clear_session_cookie: bool = False

    @property
    def user(self) -> Any:
        return self.session.user if self.session else None

    @property
    def is_system_admin(self) -> bool:
        return self.session is not None and is_portal_admin(self.session.user)

    def require_permission(self, permission: str) -> None:
        """Mattermost's ``SessionHasPermissionTo``: system admins hold every permission."""
        if not self.is_system_admin:
            raise errors.permissions(permission)

    @property
    def path_prefix(self) -> str:
        return f"/hosts/{self.host.name}"

    def json_body(self) -> Any:
        """The parsed JSON body, or None when it is empty or not JSON (Mattermost decodes
        leniently and then complains about the missing field)."""
        raw = self.request.body
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None


Handler = Callable[[Context], Reply | HttpResponse]


@dataclass(frozen=True)
class Options:
    require_session: bool = True
    file_api: bool = False
    trust_requester: bool = False


def endpoint(
    *, require_session: bool = True, file_api: bool = False, trust_requester: bool = False
) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        handler.mm_options = Options(require_session, file_api, trust_requester)  # type: ignore[attr-defined]
        return handler

    return mark


def _options(handler: Handler) -> Options:
    return getattr(handler, "mm_options", Options())


def version_id(host: HostServer) -> str:
    """``X-Version-ID``: ``<version>.<build number>.<client config hash>.<licensed>``."""
    digest = hashlib.md5(  # a cache key, as Mattermost's hash is
        json.dumps(host.config.get("ServiceSettings", {}), sort_keys=True).encode()
        + host.server_version.encode(),
        usedforsecurity=False,
    ).hexdigest()
    return f"{host.server_version}.{host.server_version}.{digest}.false"


def error_reply(exc: BaseException) -> AppError:
    """One mapping of every exception to Mattermost's AppError."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return errors.body_too_large(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0))
    if isinstance(exc, TooManyFieldsSent | MultiPartParserError):
        return AppError(
            "api.plugin.upload.file.app_error",
            f"Unable to open file in multipart/form request: {exc}",
            400,
        )
    if isinstance(exc, NotFound):
        return AppError("app.resource.not_found.app_error", exc.message, 404, detail=exc.detail)
    if isinstance(exc, NotAllowed):
        return AppError("api.context.permissions.app_error", exc.message, 403, detail=exc.detail)
    if isinstance(exc, Conflict):
        return AppError("app.resource.conflict.app_error", exc.message, 409, detail=exc.detail)
    if isinstance(exc, InvalidInput):
        return AppError(
            "api.context.invalid_body_param.app_error", exc.message, 400, detail=exc.detail
        )
    if isinstance(exc, UpstreamError):
        return AppError("app.upstream.app_error", exc.message, 502, detail=exc.detail)
    if isinstance(exc, PortalError):
        return AppError(f"app.{exc.code}.app_error", exc.message, exc.http_status)
    logger.exception("unhandled error in the host server API")
    return AppError("api.context.internal_error.app_error", "Internal Server Error", 500)


def error_response(err: AppError, request_id: str, *, developer: bool = False) -> JsonResponse:
    """The AppError body; ``detailed_error`` only in developer mode, as Mattermost does (our
    messages already say why a request failed)."""
    body = {
        "id": err.error_id,
        "message": err.message,
        "detailed_error": err.detail if developer else "",
        "request_id": request_id,
        "status_code": err.http_status,
    }
    return JsonResponse(body, status=err.http_status)


def _parse_token(request: HttpRequest) -> tuple[str, str]:
    """Mattermost's ``ParseAuthTokenFromRequest``: cookie first, then the header, then query."""
    cookie = request.COOKIES.get(SESSION_COOKIE, "")
    if cookie:
        return cookie, "cookie"
    header = request.headers.get("Authorization", "")
    if len(header) > 6 and header[:6].upper() == "BEARER":
        return header[7:].strip(), "header"
    if len(header) > 5 and header[:5].lower() == "token":
        return header[6:].strip(), "header"
    query = request.GET.get("access_token", "")
    if query:
        return query, "query"
    return "", ""


def _authenticate(ctx: Context, options: Options) -> Reply | None:
    token, location = _parse_token(ctx.request)
    ctx.token, ctx.token_location = token, location
    if not token:
        return None
    session = token_find(host=ctx.host, token=token)
    if session is None:
        if options.require_session:
            ctx.clear_session_cookie = location == "cookie"
            raise errors.session_expired("invalid or expired token")
        return None
    if location == "query":
        # Only OAuth sessions may use the query string; this server has none.
        raise AppError(
            "api.context.token_provided.app_error",
            "Session is not OAuth but token was provided in the query string",
            401,
        )
    ctx.session = session
    method = ctx.request.method or "GET"
    # As in Mattermost, every handler that is not "trust requester" checks CSRF for cookie
    # sessions on non-GET requests, whether or not it requires a session.
    csrf_checked = location == "cookie" and not options.trust_requester and method != "GET"
    if csrf_checked and not _csrf_ok(ctx, session):
        ctx.session = None
        raise errors.session_expired("Appears to be a CSRF attempt")
    return None


def _csrf_ok(ctx: Context, session: HostToken) -> bool:
    import hmac

    sent = ctx.request.headers.get("X-CSRF-Token", "")
    if sent and session.csrf_token and hmac.compare_digest(sent, session.csrf_token):
        return True
    strict = ctx.host.config.get("ServiceSettings", {}).get(
        "ExperimentalStrictCSRFEnforcement", False
    )
    return not strict and ctx.request.headers.get("X-Requested-With", "") == XHR


def _check_body_size(ctx: Context, options: Options) -> None:
    try:
        length = int(ctx.request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if options.file_api:
        limit = int(ctx.host.config.get("FileSettings", {}).get("MaxFileSize") or 0)
        limit = (limit or 104857600) + BODY_SLACK
        if length > limit:
            raise AppError(
                "api.plugin.upload.file_too_large.app_error",
                "Unable to upload file. File is too large.",
                413,
                detail=f"limit={limit} bytes",
            )
        return
    limit = int(ctx.host.config.get("ServiceSettings", {}).get("MaximumPayloadSizeBytes") or 0)
    if limit and length > limit + BODY_SLACK:
        raise errors.body_too_large(limit)


def _finish(
    response: HttpResponse, *, request: HttpRequest, request_id: str, host: HostServer | None
) -> HttpResponse:
    response["X-Request-ID"] = request_id
    # Mattermost's fixed security headers on every API response.
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Permissions-Policy"] = ""
    if host is not None:
        response["X-Version-ID"] = version_id(host)
    if request.method == "GET":
        response["Expires"] = "0"
    return response


def _to_response(ctx: Context, result: Reply | HttpResponse) -> HttpResponse:
    if isinstance(result, HttpResponse):
        return result
    response = JsonResponse(result.data, status=result.status, safe=False)
    for key, value in result.headers.items():
        response[key] = value
    for cookie in result.cookies:
        response.set_cookie(**cookie)
    for name in result.delete_cookies:
        response.delete_cookie(name, path=ctx.path_prefix)
    return response


def resolve_host(name: str) -> HostServer | None:
    host = host_get(name=name)
    if host is None and name in settings.HOSTSERVER_DEFAULT_NAMES:
        # A fresh install answers on its default hosts before anyone ran hostserver_ensure.
        from hostserver.services import host_ensure_defaults

        host_ensure_defaults()
        host = host_get(name=name)
    return host


def route(**handlers: Handler) -> Callable[..., HttpResponse]:
    """A Django view dispatching by method (``GET=handler, POST=...``) through the pipeline."""

    @csrf_exempt
    def view(request: HttpRequest, host: str, **params: str) -> HttpResponse:
        request_id = new_id()
        host_obj: HostServer | None = None
        ctx: Context | None = None
        try:
            host_obj = resolve_host(host)
            if host_obj is None:
                raise errors.not_found_route()
            handler = handlers.get(request.method or "GET")
            if handler is None:
                raise AppError(
                    "api.context.method_not_allowed.app_error",
                    f"Method {request.method} is not allowed on this URL.",
                    405,
                )
            options = _options(handler)
            ctx = Context(request=request, host=host_obj, request_id=request_id, params=params)
            _check_body_size(ctx, options)
            _authenticate(ctx, options)
            if options.require_session and ctx.session is None:
                raise errors.session_expired("a session is required")
            response = _to_response(ctx, handler(ctx))
        except Exception as exc:  # Every failure becomes an AppError body; see error_reply.
            err = error_reply(exc)
            developer = bool(
                host_obj is not None
                and host_obj.config.get("ServiceSettings", {}).get("EnableDeveloper")
            )
            response = error_response(err, request_id, developer=developer)
            if ctx is not None and ctx.clear_session_cookie:
                response.delete_cookie(SESSION_COOKIE, path=f"/hosts/{host}")
        return _finish(response, request=request, request_id=request_id, host=host_obj)

    return view


@endpoint(require_session=False)
def _not_found(ctx: Context) -> Reply:
    raise errors.not_found_route()


api_not_found = route(
    GET=_not_found,
    POST=_not_found,
    PUT=_not_found,
    DELETE=_not_found,
    PATCH=_not_found,
    HEAD=_not_found,
    OPTIONS=_not_found,
)
