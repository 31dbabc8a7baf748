"""Product B, "LivePatch": push local changes into a running process."""
