"""``livepatch`` subcommands, one module each; :mod:`velocity.livepatch.cli` wires them up."""
