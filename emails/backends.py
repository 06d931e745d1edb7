"""`make run`'s email backend: one line per message in the terminal (to, subject, template), the whole
message (MIME, every part) in a file under `.run/mail/` to open in any mail client or editor."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone
from django.utils.text import slugify


class SummaryFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or getattr(settings, "EMAIL_FILE_PATH", "") or ".run/mail")
        self._lock = threading.Lock()
        self._counter = 0

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        sent = 0
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            for message in email_messages:
                path = self._write(message)
                template = message.extra_headers.get("X-Syllabus-Template", "-")
                to = ", ".join(message.to) or "-"
                line = f'✉  mail to {to} · "{message.subject}" · template {template} → {path}\n'
                sys.stdout.write(line)
                sys.stdout.flush()
                sent += 1
        return sent

    def _write(self, message: EmailMessage) -> Path:
        self._counter += 1
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        name = f"{stamp}-{self._counter:03d}-{slugify(message.subject)[:60] or 'message'}.eml"
        path = self.directory / name
        path.write_bytes(message.message().as_bytes(linesep="\n"))
        return path
