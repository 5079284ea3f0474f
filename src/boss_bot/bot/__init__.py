"""The Discord layer: bot class, extension packages (cogs) and the error handler."""
