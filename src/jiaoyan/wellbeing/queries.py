"""Reads of the screening module, each from ``visible_to``; identified reads audited."""

from __future__ import annotations

from jiaoyan.core.errors import ServiceError

from . import scales as sc
from .models import Scale


def scales_for(user) -> list[sc.Scale]:
    """The shipped scales, then the custom ones ``user`` sees (a broken one is left out)."""
    out = list(sc.SHIPPED.values())
    for row in Scale.objects.visible_to(user).order_by("code"):
        try:
            out.append(row.as_scale())
        except ServiceError:  # a definition stored before a rule changed
            continue
    return out
