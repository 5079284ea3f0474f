"""Fit video, audio and images under a byte budget (Discord's per-file upload limit).

Public API: :func:`compress_to_fit` and :class:`CompressionResult`; :func:`probe_media` and
:class:`MediaInfo` for callers that want to look before they compress. How and why it works:
docs/compression.md. No Discord imports here; ffmpeg-python is imported only when encoding.
"""

from .api import compress_to_fit
from .probe import MediaInfo, probe_media
from .result import CompressionResult

__all__ = ["CompressionResult", "MediaInfo", "compress_to_fit", "probe_media"]
