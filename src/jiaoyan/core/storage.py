"""The local file store: Django's, except that a file appears under its name only whole.

Django's ``FileSystemStorage`` writes a file in place, chunk by chunk: a process killed
half-way (a task worker rendering a document, out of memory, SIGKILL) leaves a truncated
file under the final name, and a backup taken meanwhile copies it. Here every file is
written to a hidden temporary name in the same folder, flushed to disk, and only then
linked under its name — atomically, and never over an existing file (a taken name gets
another, as Django does). What a crash leaves is a ``.tmp-…`` file nobody refers to.
An upload spooled to disk is copied the same way (Django would move it, but across file
systems its move is a copy in place too).
"""

from __future__ import annotations

import os
import secrets

from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs

TEMP_PREFIX = ".tmp-"


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        fd, tmp = _create_temp(directory)
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in content.chunks():
                    f.write(chunk.encode() if isinstance(chunk, str) else chunk)
                f.flush()
                os.fsync(f.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(tmp, self.file_permissions_mode)
            while True:
                try:
                    if self._allow_overwrite:
                        os.replace(tmp, full_path)
                    else:
                        os.link(tmp, full_path)  # fails if the name is taken meanwhile
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        name = os.path.relpath(full_path, self.location)
        self._ensure_location_group_id(full_path)
        return str(name).replace("\\", "/")


def _create_temp(directory: str) -> tuple[int, str]:
    """A new file under a random hidden name in ``directory``, with the permissions a file
    created in place would have (0o666 less the umask, unlike ``mkstemp``'s 0o600)."""
    while True:
        path = os.path.join(directory, TEMP_PREFIX + secrets.token_hex(8))
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
