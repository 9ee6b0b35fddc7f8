"""``manage.py load_demo``: fill the portal with demo data, idempotently.

Each app owns its demo data and exposes ``<app>.demo.load_demo()``; this command only calls them in
dependency order (catalog, then host servers, then the certification pipeline, which uses both) and
reports what it loaded. An app without a ``demo`` module is reported as skipped; any error raised
while loading is a real error and stops the command.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


@dataclass(frozen=True)
class DemoPart:
    name: str
    # Candidates tried in order: (module, function). The first module that exists is used.
    loaders: tuple[tuple[str, str], ...]


DEMO_PARTS: tuple[DemoPart, ...] = (
    DemoPart("marketplace", (("marketplace.demo", "load_demo"),)),
    DemoPart(
        "hostserver",
        (("hostserver.demo", "load_demo"), ("hostserver.services", "host_ensure_defaults")),
    ),
    DemoPart("certification", (("certification.demo", "load_demo"),)),
)

MAX_ACCOUNTS_LISTED = 40


def _find_loader(part: DemoPart) -> tuple[str, Callable[[], Any]] | None:
    for module_name, function_name in part.loaders:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only "this module does not exist" means the part is absent; a missing import
            # *inside* the module is a real error.
            if exc.name == module_name:
                continue
            raise
        loader = getattr(module, function_name, None)
        if callable(loader):
            return f"{module_name}.{function_name}", loader
    return None


class Command(BaseCommand):
    help = "Load the demo data of every app (idempotent) and print the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--require-all",
            action="store_true",
            help="fail when an app has no demo loader instead of reporting it as skipped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        skipped: list[str] = []
        for part in DEMO_PARTS:
            found = _find_loader(part)
            if found is None:
                skipped.append(part.name)
                self.stdout.write(self.style.WARNING(f"{part.name}: no demo loader, skipped"))
                continue
            dotted, loader = found
            self.stdout.write(f"{part.name}: loading ({dotted}) ...")
            result = loader()
            summary = f" ({result})" if isinstance(result, str | int | dict) and result else ""
            self.stdout.write(self.style.SUCCESS(f"{part.name}: loaded{summary}"))
        if skipped and options["require_all"]:
            raise CommandError(f"no demo loader for: {', '.join(skipped)}")
        self._print_accounts(self._demo_passwords())

    def _demo_passwords(self) -> dict[str, str]:
        """Passwords the apps' demo modules publish (``DEMO_PASSWORD`` / ``DEMO_ACCOUNTS``)."""
        passwords: dict[str, str] = {}
        for part in DEMO_PARTS:
            for module_name, _ in part.loaders:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError:
                    continue
                accounts = getattr(module, "DEMO_ACCOUNTS", None)
                default = getattr(module, "DEMO_PASSWORD", None)
                if isinstance(accounts, dict):
                    passwords.update({str(k): str(v) for k, v in accounts.items()})
                elif isinstance(default, str):
                    # A module that names no accounts: its password applies to the others.
                    passwords.setdefault("*", default)
        return passwords

    def _print_accounts(self, passwords: dict[str, str]) -> None:
        users = list(
            get_user_model()
            .objects.prefetch_related("groups")
            .order_by("-is_superuser", "username")[: MAX_ACCOUNTS_LISTED + 1]
        )
        if not users:
            self.stdout.write("No accounts yet.")
            return
        self.stdout.write("\nDemo accounts (log in at /accounts/login/):")
        rows = [
            (
                user.username,
                passwords.get(user.username, passwords.get("*", "-")),
                _roles(user.is_superuser, (group.name for group in user.groups.all())),
            )
            for user in users[:MAX_ACCOUNTS_LISTED]
        ]
        width = max(len(row[0]) for row in rows)
        pwidth = max(len(row[1]) for row in rows)
        for username, password, roles in rows:
            self.stdout.write(f"  {username:<{width}}  {password:<{pwidth}}  {roles}")
        if len(users) > MAX_ACCOUNTS_LISTED:
            self.stdout.write(f"  ... and more (first {MAX_ACCOUNTS_LISTED} shown)")


def _roles(is_superuser: bool, groups: Iterable[str]) -> str:
    names = sorted(groups)
    if is_superuser:
        names.insert(0, "superuser")
    return ", ".join(names) or "developer"
