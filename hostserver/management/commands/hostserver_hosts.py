"""``manage.py hostserver_hosts {list,create,set-version}``: the portal's host servers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import PortalError
from hostserver.selectors import host_get, host_list
from hostserver.services import host_create, host_set_server_version


class Command(BaseCommand):
    help = "List host servers, create one, or set the Mattermost version one reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "create", "set-version"])
        parser.add_argument("name", nargs="?", help="host server name")
        parser.add_argument("version", nargs="?", help="Mattermost version (set-version)")
        parser.add_argument("--server-version", help="Mattermost version for create")

    def handle(self, *args: Any, **options: Any) -> None:
        action, name = options["action"], options.get("name")
        try:
            if action == "list":
                for host in host_list():
                    site = host.config.get("ServiceSettings", {}).get("SiteURL", "")
                    self.stdout.write(f"{host.name}\t{host.server_version}\t{site}")
                return
            if not name:
                raise CommandError(f"{action} needs a host server NAME")
            if action == "create":
                host = host_create(name=name, server_version=options.get("server_version"))
                self.stdout.write(f"created {host.name} (Mattermost {host.server_version})")
                return
            existing = host_get(name=name)
            if existing is None:
                raise CommandError(f"no host server named {name!r}")
            if not options.get("version"):
                raise CommandError("set-version needs a VERSION")
            updated = host_set_server_version(host=existing, server_version=options["version"])
            self.stdout.write(f"{updated.name} now reports Mattermost {updated.server_version}")
        except PortalError as exc:
            raise CommandError(str(exc)) from exc
