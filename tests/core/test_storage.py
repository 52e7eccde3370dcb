"""The local file store writes a file whole or not at all: a process killed while writing
leaves nothing under the file's name (only a hidden temporary file), and a name already
taken is never written over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile

from jiaoyan.core.storage import TEMP_PREFIX, AtomicFileSystemStorage

# A process saving a file whose second half never comes: it writes the first chunk,
# says so on stdout, and waits for stdin — the test kills it there.
WRITER = """
import sys
from django.conf import settings
settings.configure()
from django.core.files.base import File
from jiaoyan.core.storage import AtomicFileSystemStorage

class Slow(File):
    def chunks(self, chunk_size=None):
        yield b"PK" + b"x" * 100_000
        print("half", flush=True)
        sys.stdin.readline()
        yield b"y" * 100_000

AtomicFileSystemStorage(location=sys.argv[1]).save("briefs/doc.docx", Slow(None, "doc.docx"))
"""


def test_a_saved_file_is_whole_and_a_taken_name_gets_another(tmp_path):
    store = AtomicFileSystemStorage(location=tmp_path)
    first = store.save("reports/a.docx", ContentFile(b"one" * 1000))
    second = store.save("reports/a.docx", ContentFile(b"two"))
    assert first == "reports/a.docx" and second != first and second.startswith("reports/a_")
    assert store.open(first).read() == b"one" * 1000 and store.open(second).read() == b"two"
    assert sorted(os.listdir(tmp_path / "reports")) == sorted(
        [first.split("/")[1], second.split("/")[1]]
    )  # no temporary file left
    mode = os.stat(tmp_path / first).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # as a file written in place would have
    text = store.save("notes.txt", ContentFile("说明"))
    assert store.open(text).read().decode() == "说明"


def test_a_failed_write_leaves_nothing(tmp_path):
    class Broken(ContentFile):
        def chunks(self, chunk_size=None):
            yield b"half of it"
            raise OSError("disk full")

    store = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="disk full"):
        store.save("x/doc.docx", Broken(b""))
    assert not store.exists("x/doc.docx") and os.listdir(tmp_path / "x") == []


def test_a_writer_killed_half_way_leaves_no_file_under_the_name(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout.readline().strip() == b"half"  # blocks until half is written
        folder = tmp_path / "briefs"
        temps = [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
        assert len(temps) == 1 and temps[0].stat().st_size > 100_000
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    store = AtomicFileSystemStorage(location=tmp_path)
    assert not store.exists("briefs/doc.docx")
    assert [p.name.startswith(TEMP_PREFIX) for p in folder.iterdir()] == [True]
    # The next save takes the name, as if nothing had happened.
    assert store.save("briefs/doc.docx", ContentFile(b"whole")) == "briefs/doc.docx"
