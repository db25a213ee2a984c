"""One `kedro run` per output folder at a time.

Two runs writing the same ``data/<env>/`` interleave their models, and each then reports the
other's weights as its own. The lock is a small file in the output folder holding the holder's
PID, host and start time, created atomically (``O_EXCL``). A second run refuses at once, naming the
holder; a lock whose process is gone (killed, machine restarted) is taken over with a warning.

Once the run has its MLflow parent run, the lock also records that run's id and tracking URI
(:meth:`RunLock.record`). A run that takes over a dead holder's lock keeps the dead holder's
record (:attr:`RunLock.taken_over`), so the tracking hooks can close the run that was left RUNNING.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from synergy_kedro.core.errors import UserError

log = logging.getLogger(__name__)

LOCK_NAME = ".kedro_run.lock"


class RunInProgressError(UserError, RuntimeError):
    """Another `kedro run` is writing the same output folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.held = False
        self.taken_over: dict[str, Any] | None = None  # the record of the dead holder whose lock this one took over
        self._record: dict[str, Any] = {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.taken_over = None
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.held = True
            self._record = me
            return
        raise RunInProgressError(f"Could not take the run lock {self.path}.")

    def _take_over_if_stale(self) -> None:
        try:
            holder = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            holder = {}
        pid, host = int(holder.get("pid", -1)), holder.get("host")
        if pid == os.getpid() and host == socket.gethostname():
            log.warning("Taking over the run lock %s left by an earlier run of this process that did not end "
                        "(it failed before its first node).", self.path)
            self.taken_over = holder
            self.path.unlink(missing_ok=True)
            return
        if pid > 0 and host == socket.gethostname() and _alive(pid):
            raise RunInProgressError(
                f"Another kedro run (PID {pid}, started {holder.get('started', '?')}) is writing {self.path.parent}. "
                "Wait for it to finish, or run with another --env (each environment writes its own folder). If that "
                f"process is not a kedro run, delete {self.path}.")
        if pid > 0 and host not in (None, socket.gethostname()):
            raise RunInProgressError(
                f"{self.path.parent} is locked by a kedro run on host {host} (PID {pid}, started "
                f"{holder.get('started', '?')}). If no run is going on there, delete {self.path}.")
        log.warning("Taking over the run lock %s left by PID %s (started %s), which is no longer running.",
                    self.path, pid if pid > 0 else "?", holder.get("started", "?"))
        self.taken_over = holder
        self.path.unlink(missing_ok=True)

    def record(self, **fields: Any) -> None:
        """Add ``fields`` (e.g. ``mlflow_run_id``, ``tracking_uri``, ``kedro_session_id``) to the held lock's file.

        Written to a temporary file and renamed over the lock, so a reader sees the old or the new
        record, never half of one, and the lock file exists throughout.
        """
        if not self.held:
            return
        self._record = {**self._record, **fields}
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(self._record))
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def leave(self) -> None:
        """Stop holding the lock but leave its file: the next run takes it over as a dead run's (and reads its record)."""
        self.held = False
