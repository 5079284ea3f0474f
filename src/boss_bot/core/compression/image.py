"""Still images: Pillow in a separate process (see _pillow_worker), driven from asyncio."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from boss_bot.core.errors import CompressionError, ExternalToolError
from boss_bot.core.models import STATUS_COMPRESSING, ProgressEvent
from boss_bot.core.process import run_tool

from ._job import Encoded, Job

WORKER = Path(__file__).with_name("_pillow_worker.py")
IMAGE_TIMEOUT = 300.0


async def compress_image(job: Job) -> tuple[Encoded, str]:
    """Run the Pillow worker as a subprocess (killed on cancel) -> (output, 'jpeg'|'webp')."""
    args = {
        "src": str(job.info.path),
        "out_stem": str(job.work_dir / "out"),
        "target": job.target_bytes,
        "min_q": job.settings.compression_image_min_quality,
    }
    if job.on_progress:
        job.on_progress(
            ProgressEvent(status=STATUS_COMPRESSING, downloaded_bytes=0,
                          total_bytes=job.info.size_bytes, filename=job.info.path.name)
        )  # fmt: skip
    try:
        res = await run_tool(
            [sys.executable, "-I", str(WORKER), json.dumps(args)],
            tool="pillow",
            timeout=IMAGE_TIMEOUT,
        )
        data = json.loads(res.stdout.strip().splitlines()[-1])
    except ExternalToolError as exc:
        raise CompressionError(
            f"image worker failed: {exc.stderr[-500:]}",
            user_message="this image could not be processed",
        ) from None
    except TimeoutError:
        raise CompressionError(
            "image worker timed out", user_message="compressing this image took too long"
        ) from None
    except (json.JSONDecodeError, IndexError):
        raise CompressionError("image worker printed no result") from None
    if "error" in data:
        raise CompressionError(f"{job.info.path.name}: {data['error']}", user_message=data["error"])
    out = Path(data["path"])
    if out.stat().st_size > job.target_bytes:
        raise CompressionError(f"internal: image worker wrote {out.stat().st_size} B, over budget")
    if job.on_progress:
        job.on_progress(
            ProgressEvent(status=STATUS_COMPRESSING, downloaded_bytes=job.info.size_bytes,
                          total_bytes=job.info.size_bytes, filename=out.name)
        )  # fmt: skip
    encoded = Encoded(
        path=out,
        passes=int(data["trials"]),
        duration=None,
        width=int(data["width"]),
        height=int(data["height"]),
        quality=int(data["quality"]),
    )
    return encoded, str(data["format"])
