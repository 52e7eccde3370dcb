"""`jiaoyan serve` is a supervisor: a task worker that dies (killed by the kernel, an
abort) is started again while the site goes on answering; only a shutdown signal stops
everything. Run for real: the command, gunicorn, the worker and the scheduler are
processes on a free port, over a database they all reach (see test_jobs_worker)."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.core.test_jobs_worker import DEADLINE, ROOT, SharedDatabase


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """``jiaoyan serve`` in its own process group, its output read line by line."""

    def __init__(self, db: SharedDatabase, tmp_path) -> None:
        self.port = _free_port()
        env = dict(os.environ)
        env.update(
            DATABASE_URL=db.url,
            DJANGO_SETTINGS_MODULE="jiaoyan.settings",
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            DEBUG="1",  # no collectstatic
            JIAOYAN_VAR_DIR=str(tmp_path / "var"),
            MEDIA_ROOT=str(tmp_path / "media"),
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            PYTHONUNBUFFERED="1",
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jiaoyan",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--threads",
                "2",
                "--max-backoff",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, pattern: str) -> re.Match:
        """The next line of the output matching ``pattern`` (fails at the deadline)."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    pytest.fail(f"serve exited: {self.seen[-30:]}")
                continue
            self.seen.append(line)
            if m := re.search(pattern, line):
                return m
        pytest.fail(f"no line matching {pattern!r}: {self.seen[-30:]}")

    def get(self, path: str) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
            return r.status

    def answers(self, path: str) -> int:
        """The status of ``path`` once the web server listens (it starts beside the rest)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                return self.get(path)
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.2)

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) still answers signal 0: read its state.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _group(pgid: int) -> list[int]:
    """The live processes of process group ``pgid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry))
    return found


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_restarted_and_the_site_keeps_answering(tmp_path):
    db = SharedDatabase(tmp_path)
    db.publish()
    serve = Serve(db, tmp_path)
    try:
        first = int(serve.wait_line(r"已启动 worker（pid (\d+)）").group(1))
        assert serve.answers("/accounts/login/") == 200

        os.kill(first, signal.SIGKILL)  # as the kernel's OOM killer would
        exited = serve.wait_line(r"子进程 worker（pid (\d+)）退出，状态 (-?\d+)")
        assert int(exited.group(1)) == first and int(exited.group(2)) == -signal.SIGKILL
        second = int(serve.wait_line(r"已启动 worker（pid (\d+)）").group(1))
        assert second != first and _alive(second)

        # The site never stopped, and the supervisor is still there.
        assert serve.proc.poll() is None
        assert serve.get("/accounts/login/") == 200
        # /metrics sums what gunicorn's processes counted (their multiprocess files).
        with urllib.request.urlopen(f"http://127.0.0.1:{serve.port}/metrics", timeout=30) as r:
            text = r.read().decode()
        logins = re.search(
            r'jiaoyan_requests_total\{method="GET",status="2xx",view="login"\} (\S+)', text
        )
        assert logins and float(logins.group(1)) >= 2, text[:2000]
        assert not any("正在停止" in line for line in serve.seen)

        # Killed again at once, it comes back after a longer wait (back-off), not in a loop.
        os.kill(second, signal.SIGKILL)
        serve.wait_line(rf"子进程 worker（pid {second}）退出.*2 秒后重启")
        third = int(serve.wait_line(r"已启动 worker（pid (\d+)）").group(1))
        assert _alive(third)
    finally:
        status = serve.stop()
    # A shutdown signal stops everything, cleanly.
    assert status == 0
    assert any("正在停止所有进程" in line for line in serve.seen + list(serve.lines.queue))
    deadline = time.monotonic() + 30
    while _alive(third) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(third)
    # Nothing of the site outlives it: no process is left in its group (a worker under
    # Django's autoreloader used to leave its grandchild running, taking jobs unsupervised).
    while _group(serve.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group(serve.proc.pid) == []
