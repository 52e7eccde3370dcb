"""jiaoyan encryption_keys status|new|rotate|reencrypt — the keys of encrypted fields
(core/crypto.py).

* ``status``: the current key's id and how many values each key holds;
* ``new``: print a fresh key (for ``FIELD_ENCRYPTION_KEYS`` in production);
* ``rotate``: embedded setup only — a fresh key first in ``var/field_keys``;
* ``reencrypt``: rewrite every value not under the current key (after a rotation; then
  the old keys may be removed).
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db.models import TextField
from django.db.models.functions import Cast

from jiaoyan.core import crypto


class Command(BaseCommand):
    help = "Keys of the encrypted fields: status, new, rotate, reencrypt"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "new", "rotate", "reencrypt"])

    def handle(self, *args, action, **options):
        try:
            if action == "new":
                self.stdout.write(crypto.fresh_key())
            elif action == "rotate":
                self.stdout.write(f"current key: {crypto.rotate()}")
            elif action == "reencrypt":
                for label, n in crypto.reencrypt().items():
                    self.stdout.write(f"{label}: {n} rows re-encrypted")
            else:
                current, keys = crypto.keys()
                self.stdout.write(f"current key: {current}; configured: {', '.join(keys)}")
                for model, names in crypto.encrypted_fields():
                    counts: Counter[str] = Counter()
                    raw = {f"raw_{n}": Cast(n, TextField()) for n in names}
                    rows = model._base_manager.annotate(**raw).values_list(*raw)
                    for row in rows:
                        counts.update(crypto.key_id_of(v) for v in row if v)
                    held = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "-"
                    self.stdout.write(f"{model._meta.label}: {held}")
        except crypto.KeyError_ as e:
            raise CommandError(str(e)) from None
