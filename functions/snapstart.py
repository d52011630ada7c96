"""SnapStart for the HTTP functions (python3.12+): what the snapshot keeps, what a restore redoes.

Before the snapshot, the function answers one warm-up request: its settings are read, its app
built, the index's files downloaded into /tmp and opened, and the imports a search needs done;
the snapshot keeps all of that. After a restore, that app is dropped, so the next request builds
it again in the restored environment: settings and credentials are read there (a snapshot's
would be stale; SnapStart gives restored environments their own), and the manifest is re-checked
at once however old the snapshot is, while the index files already in /tmp are reused.

The hooks come from ``snapshot_restore_py``, which AWS's python3.12+ runtimes include (and
MiniStack runs for published SnapStart versions). Elsewhere, registering does nothing.
"""

from __future__ import annotations

from collections.abc import Callable


def register(before_snapshot: Callable[[], object], after_restore: Callable[[], object]) -> bool:
    """Register the two runtime hooks; False where the runtime has none."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
