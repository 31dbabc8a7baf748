"""``python -m velocity``: the ``velocity`` tool."""

from __future__ import annotations

from velocity.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
