"""bossctl: the typer admin CLI. Imports of heavy libraries happen inside commands."""
