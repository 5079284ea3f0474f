"""Audio-only planning (Opus in Ogg): the bitrate a byte budget allows."""

from __future__ import annotations

from .shared import FIRST_AIM

#: Ogg/Opus: ~1 % page overhead plus headers.
OGG_FIXED_OVERHEAD = 4096
OGG_OVERHEAD_FRACTION = 0.012
#: Opus is transparent long before this; no point spending more.
OPUS_MAX_KBPS = {1: 96, 2: 160}


def audio_kbps_for(
    *, duration: float, target_bytes: int, channels: int, aim: float = FIRST_AIM
) -> float:
    """The Opus bitrate a budget allows for an audio-only file, capped where Opus is transparent."""
    duration = max(duration, 0.1)
    usable = target_bytes * aim * (1 - OGG_OVERHEAD_FRACTION) - OGG_FIXED_OVERHEAD
    kbps = usable * 8 / duration / 1000
    return min(kbps, float(OPUS_MAX_KBPS[2 if channels >= 2 else 1]))
