"""A read-only page per plugin on a test host server, for its reviewers and its developer.

The embedded host servers have no web client of their own, so a reviewer's "test server" link
opens this page: the plugin's installed version, desired and actual state, error, and the
webapp bundle the host serves. Reads go through the host server's selectors.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from certification import selectors as cert
from common import roles
from frontend import hostconsole
from frontend.access import REVIEWER_GROUPS, current_user
from hostserver import selectors as host_selectors


@require_GET
def test_server_plugin(request: HttpRequest, host: str, plugin_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = current_user(request)
    allowed = (
        roles.is_portal_admin(user)
        or bool(roles.user_groups(user) & REVIEWER_GROUPS)
        or cert.submission_list(
            viewer=user, filters={"plugin_id": plugin_id, "mine": True}
        ).exists()
    )
    server = host_selectors.host_get(name=host)
    if not allowed or server is None:
        raise Http404("No such plugin on this test server.")
    plugin = host_selectors.plugin_get(host=server, plugin_id=plugin_id)
    context = {
        "host": server,
        "plugin_id": plugin_id,
        "plugin": plugin,
        "enabled": host_selectors.plugin_desired_enabled(host=server, plugin_id=plugin_id),
        "state_name": hostconsole.STATE_NAMES.get(plugin.state, "") if plugin else "",
        "state_badge": hostconsole.STATE_BADGES.get(plugin.state, "") if plugin else "",
        "api_url": hostconsole.host_base_url(host),
        "webapp_url": (
            f"{hostconsole.host_base_url(host)}/static/plugins/{plugin.plugin_id}/"
            f"{plugin.plugin_id}_{plugin.webapp_hash}_bundle.js"
            if plugin and plugin.webapp_hash
            else ""
        ),
    }
    return render(request, "frontend/testserver.html", context)
