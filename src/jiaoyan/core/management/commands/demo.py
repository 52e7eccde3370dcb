"""jiaoyan demo --scale small|city|province [--seed N] [--password P] [--if-empty] [--force]

Loads the demo data set: deterministic for a scale and seed. Every app adds its part
through ``@step`` functions in its ``demo.py`` (see jiaoyan.core.demo).
"""

from __future__ import annotations

import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.module_loading import autodiscover_modules

from jiaoyan.core import bulk, context
from jiaoyan.core.demo import SCALES, DemoContext, steps


class Command(BaseCommand):
    help = "Load the demo data set (small: ~60 schools; city: 1,625 schools; province: ×10)"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--password", default=None, help="password of the demo accounts")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database has data"
        )
        parser.add_argument("--force", action="store_true", help="erase the database's data first")

    def handle(self, *args, scale, seed, password, if_empty, force, **options):
        from django.conf import settings

        from jiaoyan.orgs.models import OrgUnit

        if OrgUnit.objects.exists():
            if if_empty:
                self.stdout.write("数据库已有数据，跳过演示数据。")
                return
            if not force:
                raise CommandError(
                    "数据库已有数据。要清空后重新生成，请加 --force（会删除全部数据）。"
                )
            call_command("flush", interactive=False, verbosity=0)
        autodiscover_modules("demo")
        ctx = DemoContext(
            scale=SCALES[scale],
            seed=seed,
            password=password or settings.JIAOYAN_DEMO_PASSWORD,
            rng=random.Random(seed),
            log=self.stdout.write,
        )
        started = time.monotonic()
        self.stdout.write(f"生成演示数据：规模 {scale}，种子 {seed}")
        postgres = connection.vendor == "postgresql"
        with context.write_context("cli"), transaction.atomic(), bulk.bulk_load():
            for _order, name, fn in steps():
                t0 = time.monotonic()
                ctx.rng = random.Random(f"{seed}:{name}")
                fn(ctx)
                if postgres:
                    # The next steps read what this one wrote: plans for the real sizes
                    # (ANALYZE in the transaction sees its own new rows).
                    bulk.analyze()
                parts = name.split(".")
                self.stdout.write(f"  · {parts[1]}.{parts[-1]}：{time.monotonic() - t0:.1f} 秒")
                self.stdout.flush()
        if not postgres:
            # Fresh statistics, so the query planner knows the tables' real sizes: SQLite
            # keeps none until ANALYZE runs. (PostgreSQL's were taken after the last step,
            # inside the transaction, and are kept with its commit: a second ANALYZE of
            # every table would read the same rows again.)
            bulk.analyze()
        self.stdout.write(self.style.SUCCESS(f"完成，用时 {time.monotonic() - started:.1f} 秒。"))
