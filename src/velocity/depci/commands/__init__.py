"""The ``dep-ci`` subcommands, one module each; each exports one same-named function."""
