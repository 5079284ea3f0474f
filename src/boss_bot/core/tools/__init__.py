"""Adapters for the external tools. Each turns typed settings and options into that tool's own
options (a dict for the Python API, an argument list for the CLI) and its output back into
:class:`~boss_bot.core.models.MediaMetadata`. None of them imports the tool at module level:
building options is pure, and the tools themselves only run in worker processes or subprocesses.
"""
