"""jiaoyan restore DIR [--force] — restore a backup made by ``jiaoyan backup`` into the
configured database (DATABASE_URL), which must be empty.

Every file's checksum is verified before anything is written; a database that already has
tables is refused unless --force. See core/backup.py.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import backup


class Command(BaseCommand):
    help = "Restore a backup into an empty database"

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--force", action="store_true", help="overwrite a non-empty database")

    def handle(self, *args, directory, force, **options):
        try:
            manifest = backup.restore(Path(directory), force=force)
        except backup.BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(
            f"恢复完成：{manifest['vendor']} 数据库，备份时间 {manifest['created_at']}，"
            f"{len(manifest['files'])} 个文件。请运行 jiaoyan migrate 升级到本版本的结构。"
        )
