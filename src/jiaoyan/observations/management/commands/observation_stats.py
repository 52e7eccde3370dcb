"""jiaoyan observation_stats [--background]

Recompute the observation statistics (coverage and score distributions) from the
observations, e.g. after units moved in the tree. With ``--background`` the work is
queued for the task worker instead.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from jiaoyan.core import context


class Command(BaseCommand):
    help = "Recompute the pre-aggregated observation statistics"

    def add_arguments(self, parser):
        parser.add_argument("--background", action="store_true", help="queue it as a task")

    def handle(self, *args, background: bool, **options):
        from jiaoyan.observations import stats

        if background:
            stats.rebuild_stats_task.enqueue()
            self.stdout.write("已加入后台任务队列。")
            return
        t0 = time.monotonic()
        with context.write_context("cli"):
            result = stats.rebuild()
        self.stdout.write(
            f"教师学期 {result['teacher_terms']} 行，单位学期 {result['unit_terms']} 行，"
            f"得分分布 {result['distributions']} 行，用时 {time.monotonic() - t0:.1f} 秒。"
        )
