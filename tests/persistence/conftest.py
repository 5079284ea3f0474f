"""Fixtures for the persistence tests: the bot world and the pipeline of tests/bot, a host that
records adoptions, and a clip slow enough to kill a bot in the middle of downloading it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from boss_bot.core.jobs import Job, JobRequest
from boss_bot.core.pipeline import AdoptReason, Attachment, Stage
from tests.bot.conftest import bot_media, make_world, world  # noqa: F401  (fixtures)
from tests.bot.pipeline_support import RecordingUploader, start_pipeline  # noqa: F401
from tests.support.media import make_mp4
from tests.support.media_server import DRIP_CHUNK, DRIP_DELAY, MediaServer


@dataclass
class RecordingHost:
    """A JobHost like the bot's: records what it was asked to adopt and why."""

    uploader: RecordingUploader = field(default_factory=lambda: RecordingUploader(10 * 2**20))
    adopted: list[tuple[Job, AdoptReason]] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)

    async def adopt(self, job: Job, request: JobRequest, reason: AdoptReason) -> Attachment:
        self.adopted.append((job, reason))
        return Attachment(self.uploader if request.upload else None, self.stages.append)


@dataclass(frozen=True)
class SlowClip:
    path: Path
    url: str  # dripped: about `seconds` to download
    seconds: float


@pytest.fixture(scope="session")
def slow_clip(media_server: MediaServer, tmp_path_factory: pytest.TempPathFactory) -> SlowClip:
    d = tmp_path_factory.mktemp("slow-clip")
    clip = make_mp4(d / "slowclip.mp4", seconds=2, size="320x240", noise=True, bitrate="700k")
    media_server.add_file("slowclip.mp4", clip, "video/mp4")
    seconds = clip.stat().st_size / DRIP_CHUNK * DRIP_DELAY
    return SlowClip(clip, media_server.url("slow/slowclip.mp4"), seconds)
