"""python manage.py import_queue_log PATH [--source NAME]: load an Asterisk queue_log file; idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug

from telephony.queue_log import queue_log_import


class Command(BaseCommand):
    help = (
        "Import an Asterisk queue_log file as call events. Bad lines are quarantined, not fatal; "
        "importing the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The queue_log file (timestamp|callid|queue|agent|event|data...).")
        parser.add_argument(
            "--source",
            default="queue_log",
            help="Feed source name the events belong to (default: queue_log).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        source = options["source"]
        try:
            validate_slug(source)
        except ValidationError:
            raise CommandError(f"--source {source!r} must be a slug (letters, digits, - and _)") from None
        summary = queue_log_import(path_or_lines=path, source_name=source)
        self.stdout.write(summary.as_line())
