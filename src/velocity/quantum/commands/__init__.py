"""``quantum`` subcommands, one module each."""
