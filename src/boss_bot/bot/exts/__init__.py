"""Extensions, one package per area (python-discord/bot's layout): a tiny ``__init__`` with
``setup``, a private ``_cog.py``, and pure helpers beside it that tests use without Discord."""
