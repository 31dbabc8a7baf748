"""``livepatch watch``: sync every settled batch of file changes as one atomic patch.

.. versionadded:: 0.2
"""

from __future__ import annotations

from velocity.livepatch.watch._batcher import Batch
from velocity.livepatch.watch._batcher import Batcher
from velocity.livepatch.watch._limits import WatchLimitError
from velocity.livepatch.watch._limits import check_watch_limit
from velocity.livepatch.watch._watcher import Watcher

__all__ = ["Batch", "Batcher", "WatchLimitError", "Watcher", "check_watch_limit"]
