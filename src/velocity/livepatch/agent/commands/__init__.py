"""``livepatch-agent`` subcommands, one module each."""
