"""Job kinds only the tests use (imported by the tests and by the worker they start)."""

from __future__ import annotations

import time
from pathlib import Path

from jiaoyan.core.jobs import JobError, job_kind


@job_kind("tests.wait", label="等待放行", phases={"waiting": "等待放行"})
def wait_for_release(job, progress) -> dict:
    """Report progress, then wait until the file ``params["release"]`` exists (the test
    decides when, or kills the worker first)."""
    progress("waiting", 0, 1)
    release = Path(job.params["release"])
    deadline = time.monotonic() + 300
    while not release.exists():
        if time.monotonic() > deadline:
            raise JobError("从未放行")
        time.sleep(0.05)
    progress("waiting", 1, 1)
    return {"released": True}


@job_kind("tests.steps", label="分步任务", phases={"counting": "正在计数"})
def count_steps(job, progress) -> dict:
    total = job.params.get("steps", 3)
    for i in range(total):
        progress("counting", i, total)
    if job.params.get("fail"):
        raise JobError("第三步的数据不完整。")
    if job.params.get("crash"):
        raise RuntimeError("boom")
    return {"steps": total}
