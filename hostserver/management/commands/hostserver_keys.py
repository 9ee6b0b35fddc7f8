"""``manage.py hostserver_keys {list,add,remove} --host NAME [FILE|NAME]``.

The host servers' trusted OpenPGP public keys, like Mattermost's old ``plugin keys`` commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import PortalError
from hostserver.selectors import host_get, trusted_key_list
from hostserver.services import trusted_key_add, trusted_key_remove


class Command(BaseCommand):
    help = "List, add or remove the public keys a host server trusts for plugin signatures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "add", "remove"])
        parser.add_argument("target", nargs="?", help="key file (add) or key name (remove)")
        parser.add_argument("--host", required=True, help="host server name")
        parser.add_argument("--name", help="name for an added key (default: the file's stem)")
        parser.add_argument("--armored", action="store_true", help="print the armored keys too")

    def handle(self, *args: Any, **options: Any) -> None:
        host = host_get(name=options["host"])
        if host is None:
            raise CommandError(f"no host server named {options['host']!r}")
        action, target = options["action"], options.get("target")
        try:
            if action == "list":
                keys = list(trusted_key_list(host=host))
                if not keys:
                    self.stdout.write(f"{host.name} trusts no public key")
                for key in keys:
                    self.stdout.write(f"{key.name}\t{key.fingerprint}")
                    if options["armored"]:
                        self.stdout.write(key.armored)
                return
            if not target:
                raise CommandError(f"{action} needs a {'FILE' if action == 'add' else 'NAME'}")
            if action == "add":
                path = Path(target)
                if not path.is_file():
                    raise CommandError(f"no such file: {path}")
                armored = path.read_text(errors="replace")
                key = trusted_key_add(host=host, armored=armored, name=options["name"] or path.stem)
                self.stdout.write(f"added {key.name} ({key.fingerprint}) to {host.name}")
            else:
                trusted_key_remove(host=host, name=target)
                self.stdout.write(f"removed {target} from {host.name}")
        except PortalError as exc:
            raise CommandError(str(exc)) from exc
