from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.services import subscriptions_resync


class Command(BaseCommand):
    help = "Re-read subscriptions from Stripe and bring every row up to date (after missed webhooks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--include-ended", action="store_true", help="Also re-read cancelled subscriptions.")

    def handle(self, *args: Any, **options: Any) -> None:
        synced, failed = subscriptions_resync(include_ended=options["include_ended"])
        self.stdout.write(f"Synced {synced} subscription(s) from Stripe.")
        if failed:
            raise CommandError(f"{len(failed)} could not be synced: {', '.join(failed)}")
