"""``python -m velocity.livepatch.agent``: ``livepatch-agent`` where no script is installed."""

from __future__ import annotations

from velocity.livepatch.agent_cli import main

raise SystemExit(main())
