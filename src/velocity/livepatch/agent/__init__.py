"""The LivePatch agent: owns a root directory and applies batches to it.

This package is shipped alone into containers: it imports only the standard
library, its protocol module and the codec, never the controller side.
"""

from __future__ import annotations

from velocity.livepatch.agent._engine import Engine
from velocity.livepatch.agent._engine import Undone
from velocity.livepatch.agent._ops import Chmod
from velocity.livepatch.agent._ops import Delete
from velocity.livepatch.agent._ops import Op
from velocity.livepatch.agent._ops import Put
from velocity.livepatch.agent._ops import Symlink
from velocity.livepatch.agent._paths import PathError
from velocity.livepatch.agent._paths import check_link_target
from velocity.livepatch.agent._paths import split_path
from velocity.livepatch.agent._txn import Transaction

__all__ = [
    "Chmod",
    "Delete",
    "Engine",
    "Op",
    "PathError",
    "Put",
    "Symlink",
    "Transaction",
    "Undone",
    "check_link_target",
    "split_path",
]
