"""Download strategies: one per platform, plus ``generic``, in an explicit ordered registry.

Cheap to import on purpose: nothing here imports yt-dlp or gallery-dl (a test checks).
"""

from boss_bot.core.strategies.base import Strategy, Tool, host_pattern
from boss_bot.core.strategies.registry import STRATEGIES, strategy_by_name, strategy_for

__all__ = [
    "STRATEGIES",
    "Strategy",
    "Tool",
    "host_pattern",
    "strategy_by_name",
    "strategy_for",
]
