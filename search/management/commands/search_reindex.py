from typing import Any

from django.core.management.base import BaseCommand

from search.services import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index (lesson titles, bodies and transcripts) from the course content."

    def handle(self, *args: Any, **options: Any) -> None:
        count = index_rebuild()
        self.stdout.write(f"Indexed {count} lessons.")
