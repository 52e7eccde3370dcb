"""jiaoyan create_token USERNAME [--name NAME] — prints a new API token (shown once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import context
from jiaoyan.people.models import User
from jiaoyan.people.services import create_token


class Command(BaseCommand):
    help = "Create a personal API token for an account and print it"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行创建")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"账号不存在：{username}")
        if not user.is_active:
            raise CommandError(f"账号已停用：{username}")
        with context.write_context("cli"):
            _token, raw = create_token(actor=user, name=name)
        self.stdout.write(raw)
