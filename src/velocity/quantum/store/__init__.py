"""Where the queue lives: one :class:`Store` protocol, backends registered by name."""

from __future__ import annotations

from velocity.quantum.store.protocol import BACKENDS
from velocity.quantum.store.protocol import Claim
from velocity.quantum.store.protocol import FinalRecord
from velocity.quantum.store.protocol import Store
from velocity.quantum.store.protocol import StoreError
from velocity.quantum.store.protocol import Transition
from velocity.quantum.store.protocol import open_store

__all__ = ["BACKENDS", "Claim", "FinalRecord", "Store", "StoreError", "Transition", "open_store"]
