"""jiaoyan backup [DIR] — the database, uploaded files and keys, with a checksummed manifest.

SQLite is copied through its online backup API while the site serves; PostgreSQL through
pg_dump. Without DIR the backup goes to var/backups/<date-time>/. See core/backup.py.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import backup


class Command(BaseCommand):
    help = "Back up the database, uploaded files and keys into a new folder"

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="a new or empty folder")

    def handle(self, *args, directory, **options):
        target = Path(directory) if directory else backup.default_directory()
        try:
            summary = backup.backup(target)
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"备份完成：{summary.directory}（{summary.files} 个文件，"
            f"{summary.bytes / 2**20:.1f} MB）"
        )
