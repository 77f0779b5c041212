"""Command line: typer, one command (group) per file. Parses input, renders output, nothing else."""
