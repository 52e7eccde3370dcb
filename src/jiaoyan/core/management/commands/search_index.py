"""jiaoyan search_index [app_label.Model …] — rebuild the full-text index (core/search.py).

Without names, every registered model is indexed again (after the vocabulary changed, or
after loading rows without their services).
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from jiaoyan.core import search


class Command(BaseCommand):
    help = "Rebuild the full-text search index of the registered models"

    def add_arguments(self, parser):
        parser.add_argument("models", nargs="*", help="app_label.Model (default: all)")

    def handle(self, *args, models, **options):
        registered = search.registered()
        if models:
            try:
                chosen = [apps.get_model(name) for name in models]
            except (LookupError, ValueError) as e:
                raise CommandError(str(e)) from None
            unknown = [m._meta.label for m in chosen if m not in registered]
            if unknown:
                raise CommandError(f"not searchable: {', '.join(unknown)}")
        else:
            chosen = sorted(registered, key=lambda m: m._meta.label)
        for model in chosen:
            count = search.rebuild(model)
            self.stdout.write(f"{model._meta.label}: {count}")
