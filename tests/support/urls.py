"""Real URL shapes per platform, for tests that need jobs of a given platform in the store
(the store derives a job's platform from its URL, as for every request)."""

from __future__ import annotations

_SHAPES = {
    "generic": "https://example.com/{n}",
    "youtube": "https://www.youtube.com/watch?v=vid{n:08d}",
    "twitter": "https://x.com/someone/status/{n}",
    "reddit": "https://www.reddit.com/r/pics/comments/abc{n}/a_title/",
    "instagram": "https://www.instagram.com/p/Post{n}/",
    "tiktok": "https://www.tiktok.com/@someone/video/{n}",
    "bluesky": "https://bsky.app/profile/someone.bsky.social/post/3abc{n}",
}


def platform_url(platform: str, n: int) -> str:
    """A URL the strategy registry routes to ``platform``; distinct for each ``n``."""
    return _SHAPES[platform].format(n=n)
