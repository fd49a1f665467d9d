"""The govcloud command line (typer): thin commands over controlplane services."""
