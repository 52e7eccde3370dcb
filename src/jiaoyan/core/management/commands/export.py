"""jiaoyan export KIND FILE — every row of KIND as .xlsx in the import template's layout."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core.sheets import export_xlsx, get_kind, kinds


class Command(BaseCommand):
    help = "Export org units, schools, people … to .xlsx (re-importable)"

    def add_arguments(self, parser):
        parser.add_argument("kind", help="one of: " + ", ".join(sorted(kinds())))
        parser.add_argument("file")
        parser.add_argument("--as", dest="as_user", help="export what this account sees")

    def handle(self, *args, kind, file, as_user, **options):
        try:
            sheet_cls = get_kind(kind)
        except LookupError as e:
            raise CommandError(str(e)) from None
        if not sheet_cls.exportable():
            raise CommandError(f"“{kind}”只能导入，不能用此命令导出（请在其页面上导出）")
        actor = None
        if as_user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"账号不存在：{as_user}")
        sheet = sheet_cls(actor=actor)
        qs = sheet.export_queryset()
        content = export_xlsx(sheet, qs)
        Path(file).write_bytes(content)
        self.stdout.write(f"已导出 {qs.count()} 行到 {file}")
