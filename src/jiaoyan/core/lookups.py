"""Integer lookups that cannot overflow: a value beyond the column's range matches nothing.

Django (5.0+) already answers ``id=2**64`` with no rows instead of the database's
OverflowError (SQLite) or DataError (PostgreSQL), but only for the ``exact``/``gt``/…
lookups of integer fields themselves. An id list (``id__in=[…]``, what a
``ModelMultipleChoiceField`` or a marks list checks) and a foreign key (``activity=…``,
what every filter by a parent does) still reached the database with the value. These
lookups, registered once by ``CoreConfig.ready``, drop out-of-range values the same way,
so an id a user typed or a client sent is "not found", whatever the path it takes.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet, FieldError
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def _range(lookup, connection) -> tuple[int | None, int | None] | None:
    """The (min, max) an integer column holds, or None when ``lookup`` is not on one."""
    field = lookup.lhs.output_field
    if isinstance(field, ForeignObject):
        try:
            field = field.target_field
        except FieldError:  # a key over several columns
            return None
    if not isinstance(field, IntegerField):
        return None
    return connection.ops.integer_field_range(field.get_internal_type())


def _out_of(bounds, value) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    low, high = bounds
    return (low is not None and value < low) or (high is not None and value > high)


class _DropOutOfRange:
    """``in``: values outside the column's range are left out (none left: no rows)."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            bounds = _range(self, connection)
            if bounds is not None:
                try:
                    values = list(self.rhs)
                except TypeError:
                    values = None
                if values is not None:
                    kept = [v for v in values if not _out_of(bounds, v)]
                    if not kept:
                        raise EmptyResultSet
                    self.rhs = kept
        return super().process_rhs(compiler, connection)


class _NoneOutOfRange:
    """``exact``: a value outside the column's range matches no row."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            bounds = _range(self, connection)
            if bounds is not None and _out_of(bounds, self.rhs):
                raise EmptyResultSet
        return super().process_rhs(compiler, connection)


class BoundedIntegerIn(_DropOutOfRange, In):
    pass


class BoundedRelatedIn(_DropOutOfRange, RelatedIn):
    pass


class BoundedRelatedExact(_NoneOutOfRange, RelatedExact):
    pass


def register() -> None:
    """Install the lookups (idempotent; ``CoreConfig.ready`` calls it)."""
    IntegerField.register_lookup(BoundedIntegerIn)
    ForeignObject.register_lookup(BoundedRelatedIn)
    ForeignObject.register_lookup(BoundedRelatedExact)
