"""Writes of the host server app (HackSoftware services): one function per action."""

from hostserver.services.hosts import (
    host_config_patch,
    host_create,
    host_ensure_defaults,
    host_first_admin_visit_set,
    host_set_server_version,
    trusted_key_add,
    trusted_key_remove,
)
from hostserver.services.marketplace import marketplace_list
from hostserver.services.plugins import (
    plugin_disable,
    plugin_enable,
    plugin_install,
    plugin_remove,
    plugin_set_enabled,
)
from hostserver.services.remote import marketplace_install, plugin_install_from_url
from hostserver.services.tokens import (
    pat_create,
    pat_revoke,
    pat_set_active,
    session_login,
    session_logout,
    user_public_id,
)

__all__ = [
    "host_config_patch",
    "host_create",
    "host_ensure_defaults",
    "host_first_admin_visit_set",
    "host_set_server_version",
    "marketplace_install",
    "marketplace_list",
    "pat_create",
    "pat_revoke",
    "pat_set_active",
    "plugin_disable",
    "plugin_enable",
    "plugin_install",
    "plugin_install_from_url",
    "plugin_remove",
    "plugin_set_enabled",
    "session_login",
    "session_logout",
    "trusted_key_add",
    "trusted_key_remove",
    "user_public_id",
]
