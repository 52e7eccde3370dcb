"""jiaoyan import KIND FILE [--param NAME=VALUE …] [--dry-run] [--valid-only] [--as USERNAME]

Exit status 0 only when the command wrote what it was asked to (with --dry-run: when the
file has no errors). Errors go to stderr, one per line, by row and column. Kinds whose rows
go into one object take it as a parameter: ``jiaoyan import scores 成绩.xlsx --param
exam=5``, ``jiaoyan import item_scores 数学小题分.xlsx --param exam=5 --param subject=数学``;
a missing, unknown or unreadable parameter stops the command (exit status 1) before
anything is read or written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import context
from jiaoyan.core.errors import ServiceError
from jiaoyan.core.sheets import get_kind, kinds, run_import


def _kinds_help() -> str:
    parts = []
    for name, kind in sorted(kinds().items()):
        if kind.params:
            params = " ".join(
                f"--param {p.name}=…" if p.required else f"[--param {p.name}=…]"
                for p in kind.params
            )
            parts.append(f"{name} ({params})")
        else:
            parts.append(name)
    return "one of: " + ", ".join(parts)


def _params_help() -> str:
    return "; ".join(
        f"{name}: " + ", ".join(f"{p.name} = {p.help or p.name}" for p in kind.params)
        for name, kind in sorted(kinds().items())
        if kind.params
    )


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``["exam=5", "subject=数学"]`` → ``{"exam": "5", "subject": "数学"}``."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CommandError(f"参数应写成 名称=值（如 --param exam=5）：{pair}")
        if name in params:
            raise CommandError(f"参数 {name} 给了两次")
        params[name] = value.strip()
    return params


class Command(BaseCommand):
    help = "Import org units, schools, people … from .xlsx/.xls/.ods/.csv"

    def add_arguments(self, parser):
        parser.add_argument("kind", help=_kinds_help())
        parser.add_argument("file")
        parser.add_argument(
            "--param",
            dest="params",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="what the rows go into, for kinds that need it; repeat for several: "
            + _params_help(),
        )
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--valid-only", action="store_true", help="write the valid rows, skip wrong ones"
        )
        parser.add_argument("--as", dest="as_user", help="act with this account's scope")

    def handle(self, *args, kind, file, params, dry_run, valid_only, as_user, **options):
        try:
            sheet_cls = get_kind(kind)
        except LookupError as e:
            raise CommandError(str(e)) from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        actor = None
        if as_user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"账号不存在：{as_user}")
        try:
            sheet = sheet_cls(actor=actor, params=parse_params(params))
        except ServiceError as e:
            raise CommandError(e.text) from None
        except PermissionDenied as e:
            raise CommandError(str(e)) from None
        with context.write_context("cli"):
            result = run_import(
                sheet,
                path.read_bytes(),
                path.name,
                dry_run=dry_run,
                valid_only=valid_only,
                job_label=path.name,
            )
        for error in result.errors:
            self.stderr.write(str(error))
        verb = "将" if dry_run else ""
        summary = (
            f"{path.name}：共 {result.rows} 行；{verb}新增 {result.created}，{verb}更新 "
            f"{result.updated}，未变 {result.unchanged}；错误 {len(result.errors)} 个"
        )
        if result.imported:
            summary += f"；{verb}导入 {result.imported} 行"
        if result.errors and not valid_only and not dry_run:
            summary += "；因存在错误，未写入任何数据（可用 --valid-only 只导入正确的行）"
        if dry_run:
            summary += "（仅检查，未写入）"
        for notice in result.notices:
            self.stdout.write(notice)
        self.stdout.write(summary)
        if not result.ok:
            sys.exit(1)
