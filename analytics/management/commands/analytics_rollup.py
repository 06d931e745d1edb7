from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from analytics.services import completion_snapshot_record, mrr_snapshot_record, rollup_rebuild, rollup_refresh_due


class Command(BaseCommand):
    help = "Roll up events into the dashboard's daily tables and take its snapshots now (the beat task: hourly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Drop every rollup and roll up all history (after an import)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = rollup_rebuild() if options["rebuild"] else rollup_refresh_due()
        snapshot = mrr_snapshot_record()
        modules = completion_snapshot_record()
        if result.days:
            self.stdout.write(f"Rolled up {result.days} day(s): {result.first_day} .. {result.last_day}.")
        else:
            self.stdout.write("Nothing to roll up.")
        self.stdout.write(f"MRR snapshot for {snapshot.day}: ${snapshot.mrr}; completion of {modules} module(s).")
