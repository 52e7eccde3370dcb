"""JSON log lines (``LOG_FORMAT=json``, the default outside DEBUG): one object a line with
the request id and source of the current request or job, so a log line, an audit row and
the proxy's access log meet. Kept apart from the views: logging is configured before the
apps load."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from . import context


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request id and source of
    the current request or job, and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = context.current()
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": ctx.request_id,
            "source": ctx.source,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
