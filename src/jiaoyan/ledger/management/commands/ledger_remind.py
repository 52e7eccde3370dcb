"""jiaoyan ledger_remind — tell responsible people about deadlines due soon and overdue."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from jiaoyan.core import context
from jiaoyan.ledger.services import run_reminders


class Command(BaseCommand):
    help = "Send the work ledger's deadline reminders (safe to run every hour)"

    def handle(self, *args, **options):
        with context.write_context("cli"):
            sent = run_reminders()
        self.stdout.write(f"已提醒：即将到期 {sent['due_soon']} 条，已逾期 {sent['overdue']} 条")
