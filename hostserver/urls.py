"""Routes of the embedded host servers, mounted at ``/hosts/``: ``/hosts/<name>/api/v4/...``."""

from django.urls import URLPattern, URLResolver, re_path

from hostserver import web
from hostserver.api import plugins, system, users
from hostserver.api.base import api_not_found, route

PLUGIN_ID = r"(?P<plugin_id>[A-Za-z0-9_\-\.]+)"
HOST = r"^(?P<host>[-a-zA-Z0-9_]+)"
API = HOST + r"/api/v4"

app_name = "hostserver"

urlpatterns: list[URLPattern | URLResolver] = [
    # System and config.
    re_path(API + r"/system/ping$", route(GET=system.ping), name="ping"),
    re_path(API + r"/config$", route(GET=system.config_get, PUT=system.config_put), name="config"),
    re_path(API + r"/config/patch$", route(PUT=system.config_patch), name="config-patch"),
    re_path(API + r"/config/client$", route(GET=system.config_client), name="config-client"),
    re_path(API + r"/license/client$", route(GET=system.license_client), name="license-client"),
    # Users, sessions, personal access tokens.
    re_path(API + r"/users/login$", route(POST=users.login), name="login"),
    re_path(API + r"/users/logout$", route(POST=users.logout), name="logout"),
    re_path(API + r"/users/tokens$", route(GET=users.token_list_all), name="tokens"),
    re_path(API + r"/users/tokens/revoke$", route(POST=users.token_revoke), name="token-revoke"),
    re_path(API + r"/users/tokens/disable$", route(POST=users.token_disable), name="token-disable"),
    re_path(API + r"/users/tokens/enable$", route(POST=users.token_enable), name="token-enable"),
    re_path(
        API + r"/users/tokens/(?P<token_id>[A-Za-z0-9]+)$",
        route(GET=users.token_get),
        name="token",
    ),
    re_path(
        API + r"/users/username/(?P<username>[^/]+)$",
        route(GET=users.user_by_username),
        name="user-by-username",
    ),
    re_path(
        API + r"/users/(?P<user_id>[A-Za-z0-9]+)/tokens$",
        route(GET=users.token_list, POST=users.token_create),
        name="user-tokens",
    ),
    re_path(API + r"/users/me$", route(GET=users.me), name="me"),
    re_path(API + r"/users/(?P<user_id>[A-Za-z0-9]+)$", route(GET=users.get_user), name="user"),
    # Plugins.
    re_path(
        API + r"/plugins$", route(GET=plugins.plugin_list, POST=plugins.upload), name="plugins"
    ),
    re_path(
        API + r"/plugins/install_from_url$",
        route(POST=plugins.install_from_url),
        name="install-from-url",
    ),
    re_path(API + r"/plugins/statuses$", route(GET=plugins.statuses), name="statuses"),
    re_path(API + r"/plugins/webapp$", route(GET=plugins.webapp), name="webapp"),
    re_path(
        API + r"/plugins/marketplace$",
        route(GET=plugins.marketplace_get, POST=plugins.marketplace_post),
        name="marketplace",
    ),
    re_path(
        API + r"/plugins/marketplace/first_admin_visit$",
        route(GET=plugins.first_admin_visit_get, POST=plugins.first_admin_visit_post),
        name="first-admin-visit",
    ),
    re_path(API + r"/plugins/" + PLUGIN_ID + r"$", route(DELETE=plugins.remove), name="plugin"),
    re_path(
        API + r"/plugins/" + PLUGIN_ID + r"/enable$", route(POST=plugins.enable), name="enable"
    ),
    re_path(
        API + r"/plugins/" + PLUGIN_ID + r"/disable$",
        route(POST=plugins.disable),
        name="disable",
    ),
    # Anything else under /api/v4 is Mattermost's JSON 404.
    re_path(API + r"(?:/.*)?$", api_not_found, name="api-not-found"),
    # Files.
    re_path(HOST + r"/static/plugins/(?P<path>.*)$", web.static_plugin_file, name="static"),
    re_path(
        HOST + r"/plugins/" + PLUGIN_ID + r"/public/(?P<path>.*)$",
        web.plugin_public_file,
        name="plugin-public",
    ),
]
