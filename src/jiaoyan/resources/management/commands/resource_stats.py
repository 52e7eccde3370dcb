"""jiaoyan resource_stats [--background | --check]

Recompute the resource library's statistics tables (``resources.summary``: per unit, day
and fact, and their months per unit with its subtree) from the resources, their authors,
decisions and uses — after a bulk load, or to repair it. ``--background`` starts it as
a job for the worker instead; ``--check`` only compares the tables with a recomputation
and exits with status 1 when they differ.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import context


class Command(BaseCommand):
    help = "Recompute the resource library's statistics table"

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--background", action="store_true", help="start it as a job")
        group.add_argument(
            "--check", action="store_true", help="only compare the table with a recomputation"
        )

    def handle(self, *args, background: bool, check: bool, **options):
        from jiaoyan.core.jobs import start_job
        from jiaoyan.resources import summary
        from jiaoyan.resources.tasks import REBUILD_STATS

        if background:
            job = start_job(REBUILD_STATS)
            self.stdout.write(f"已加入后台任务（任务 {job.pk}）。")
            return
        if check:
            wrong = summary.differences()
            if wrong:
                for key, (kept, recomputed) in sorted(wrong.items())[:20]:
                    self.stdout.write(f"{key}: 表中 {kept}，重新计算 {recomputed}")
                raise CommandError(f"资源统计表有 {len(wrong)} 行与重新计算的结果不一致。")
            self.stdout.write("资源统计表与重新计算的结果一致。")
            return
        t0 = time.monotonic()
        with context.write_context("cli"):
            result = summary.rebuild()
        self.stdout.write(
            f"资源 {result['resources']} 个，统计行 {result['rows']} 行"
            f"（月统计行 {result['month_rows']} 行），"
            f"用时 {time.monotonic() - t0:.1f} 秒。"
        )
