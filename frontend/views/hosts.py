"""Admin pages for host servers: plugins, states, health; install, upload, enable, disable,
upgrade, remove. Everything goes through the host's own Mattermost REST API (see hostconsole)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common.errors import UpstreamError
from common.mattermost import MattermostAPIError
from common.versions import is_valid_version, version_key
from frontend import hostconsole
from frontend.access import admin_required, current_user
from hostserver import selectors as host_selectors

ACTIONS = {"enable", "disable", "remove", "install", "upgrade"}
MAX_BUNDLE_BYTES = 100 * 1024 * 1024
# How long an action waits for the plugin to settle before the page answers.
SETTLE_SECONDS = 8.0


class ConnectForm(forms.Form):
    password = forms.CharField(
        label="Your portal password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        help_text="The portal logs in to the host server's Mattermost API as you. "
        "The password is not stored.",
    )


class UploadForm(forms.Form):
    bundle = forms.FileField(
        label="Plugin bundle (.tar.gz)",
        widget=forms.FileInput(
            attrs={
                "accept": ".tar.gz,.tgz",
                "data-extensions": ".tar.gz,.tgz",
                "data-max-bytes": str(MAX_BUNDLE_BYTES),
            }
        ),
    )
    force = forms.BooleanField(
        required=False, label="Replace the installed plugin with the same id (force)"
    )

    def clean_bundle(self) -> Any:
        upload = self.cleaned_data["bundle"]
        if not (upload.name or "").lower().endswith((".tar.gz", ".tgz")):
            raise forms.ValidationError("A plugin bundle is a .tar.gz file.")
        if upload.size > MAX_BUNDLE_BYTES:
            raise forms.ValidationError("The bundle is larger than 100 MB.")
        return upload


def _host_or_404(name: str) -> Any:
    host = host_selectors.host_get(name=name)
    if host is None:
        raise Http404("No such host server.")
    return host


def _plugins_view(client: Any) -> list[dict[str, Any]]:
    """Installed plugins with their desired state and runtime status.

    As in Mattermost, ``GET /plugins`` splits plugins into active (activated, i.e. running)
    and inactive; whether a plugin is *enabled* is the config's
    ``PluginSettings.PluginStates[id].Enable``, which is what the System Console shows.
    """
    listing = client.get_plugins()
    statuses = {str(s.get("plugin_id", "")).lower(): s for s in client.get_plugin_statuses()}
    states = (client.get_config().get("PluginSettings") or {}).get("PluginStates") or {}
    rows = []
    for key in ("active", "inactive"):
        for manifest in listing.get(key) or []:
            pid = str(manifest.get("id", ""))
            status = statuses.get(pid.lower(), {})
            state = status.get("state", 0)
            desired = states.get(pid) or states.get(pid.lower()) or {}
            enabled = bool(desired.get("Enable")) if desired else key == "active"
            rows.append(
                {
                    "id": pid,
                    "name": manifest.get("name") or pid,
                    "version": manifest.get("version", ""),
                    "enabled": enabled,
                    "state": hostconsole.STATE_NAMES.get(state, str(state)),
                    "state_badge": hostconsole.STATE_BADGES.get(state, ""),
                    "error": status.get("error", ""),
                    "healthy": (not enabled) or state == 2,
                }
            )
    return sorted(rows, key=lambda r: r["name"].lower())


def _newer(candidate: str, installed: str) -> bool:
    if not (is_valid_version(candidate) and is_valid_version(installed)):
        return False
    return version_key(candidate) > version_key(installed)


@admin_required
def host_list(request: HttpRequest) -> HttpResponse:
    hosts = []
    for host in host_selectors.host_list():
        entry: dict[str, Any] = {
            "name": host.name,
            "server_version": host.server_version,
            "connected": hostconsole.is_connected(request, host.name),
            "base_url": hostconsole.host_base_url(host.name),
        }
        if entry["connected"]:
            try:
                with hostconsole.client_for(request, host.name, timeout=15) as client:
                    plugins = _plugins_view(client)
                entry["plugins"] = len(plugins)
                entry["running"] = sum(1 for p in plugins if p["state"] == "Running")
                entry["failing"] = sum(1 for p in plugins if not p["healthy"])
            except hostconsole.NotConnected:
                entry["connected"] = False
            except UpstreamError as exc:
                entry["error"] = exc.message
        hosts.append(entry)
    return render(request, "frontend/hosts/list.html", {"hosts": hosts})


@admin_required
@require_http_methods(["GET", "POST"])
def host_connect(request: HttpRequest, name: str) -> HttpResponse:
    _host_or_404(name)
    user = current_user(request)
    form = ConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hostconsole.connect(
                request,
                name=name,
                login_id=user.get_username(),
                password=form.cleaned_data["password"],
            )
        except MattermostAPIError as exc:
            form.add_error("password", f"The host server refused the login: {exc.message}")
        except UpstreamError as exc:
            form.add_error(None, f"The host server could not be reached: {exc.message}")
        else:
            messages.success(request, f"Connected to {name}.")
            return redirect("frontend:host-detail", name=name)
    return render(request, "frontend/hosts/connect.html", {"form": form, "name": name})


@admin_required
def host_detail(request: HttpRequest, name: str) -> HttpResponse:
    return _detail(request, name, UploadForm())


def _detail(request: HttpRequest, name: str, upload_form: UploadForm) -> HttpResponse:
    host = _host_or_404(name)
    context: dict[str, Any] = {
        "name": name,
        "host": host,
        "upload_form": upload_form,
        "base_url": hostconsole.host_base_url(name),
    }
    try:
        with hostconsole.client_for(request, name) as client:
            plugins = _plugins_view(client)
            installed = {p["id"].lower(): p for p in plugins}
            market = client.get_marketplace_plugins(per_page=200)
    except hostconsole.NotConnected:
        return redirect("frontend:host-connect", name=name)
    except UpstreamError as exc:
        context["error"] = exc.message
        return render(request, "frontend/hosts/detail.html", context)
    offers = []
    for item in market:
        manifest = item.get("manifest") or {}
        pid = str(manifest.get("id", ""))
        current = installed.get(pid.lower())
        version = str(manifest.get("version", ""))
        offers.append(
            {
                "id": pid,
                "name": manifest.get("name") or pid,
                "version": version,
                "description": manifest.get("description", ""),
                "labels": [lab.get("name") for lab in item.get("labels") or []],
                "installed_version": current["version"] if current is not None else "",
                "upgrade": current is not None and _newer(version, current["version"]),
            }
        )
    context.update({"plugins": plugins, "offers": offers})
    return render(request, "frontend/hosts/detail.html", context)


@admin_required
@require_POST
def host_action(request: HttpRequest, name: str) -> HttpResponse:
    _host_or_404(name)
    action = request.POST.get("action", "")
    plugin_id = request.POST.get("plugin_id", "").strip()
    if action not in ACTIONS or not plugin_id:
        messages.error(request, "Unknown action.")
        return redirect("frontend:host-detail", name=name)
    try:
        with hostconsole.client_for(request, name) as client:
            if action == "enable":
                client.enable_plugin(plugin_id)
                status = _settle(client, plugin_id)
                _report_state(request, plugin_id, status, "enabled")
            elif action == "disable":
                client.disable_plugin(plugin_id)
                messages.success(request, f"{plugin_id} is disabled.")
            elif action == "remove":
                client.remove_plugin(plugin_id)
                messages.success(request, f"{plugin_id} was removed.")
            else:  # install or upgrade from the marketplace, then enable as the console does
                manifest = client.install_marketplace_plugin(plugin_id)
                client.enable_plugin(plugin_id)
                status = _settle(client, plugin_id)
                verb = "upgraded to" if action == "upgrade" else "installed:"
                _report_state(
                    request, plugin_id, status, f"{verb} version {manifest.get('version', '?')}"
                )
    except hostconsole.NotConnected:
        return redirect("frontend:host-connect", name=name)
    except UpstreamError as exc:
        messages.error(request, f"{plugin_id}: {exc.message}")
    return redirect("frontend:host-detail", name=name)


def _settle(client: Any, plugin_id: str) -> dict[str, Any] | None:
    """The plugin's state after a short wait; None while it is still starting."""
    try:
        return dict(client.wait_for_plugin_state(plugin_id, timeout=SETTLE_SECONDS))
    except UpstreamError as exc:
        if exc.code == "plugin_start_timeout":
            return None
        raise


def _report_state(
    request: HttpRequest, plugin_id: str, status: dict[str, Any] | None, done: str
) -> None:
    if status is None:
        messages.info(
            request, f"{plugin_id} {done}; it is still starting. Its state below updates on reload."
        )
        return
    state = status.get("state", 0)
    if state == 2:
        messages.success(request, f"{plugin_id} {done}, and running.")
    else:
        reason = status.get("error") or hostconsole.STATE_NAMES.get(state, str(state))
        messages.warning(request, f"{plugin_id} {done}, but it is not running: {reason}")


@admin_required
@require_POST
def host_upload(request: HttpRequest, name: str) -> HttpResponse:
    _host_or_404(name)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with hostconsole.client_for(request, name) as client:
                manifest = client.upload_plugin(
                    form.cleaned_data["bundle"].read(), force=form.cleaned_data["force"]
                )
        except hostconsole.NotConnected:
            return redirect("frontend:host-connect", name=name)
        except UpstreamError as exc:
            form.add_error("bundle", f"The host server refused the bundle: {exc.message}")
        else:
            messages.success(
                request,
                f"Uploaded {manifest.get('id')} {manifest.get('version')}. Enable it to start it.",
            )
            return redirect("frontend:host-detail", name=name)
    # Shown next to the upload field, on the host page itself.
    response = _detail(request, name, form)
    response.status_code = 400 if response.status_code == 200 else response.status_code
    return response
