"""Subcommands of the ``velocity`` tool, one module each."""
