"""``/api/v1/stats`` carries the platform × tool split (the same numbers as ``bossctl stats``)."""

from __future__ import annotations

from tests.http.conftest import Api, auth
from tests.support.tool_metrics import seed_story


async def test_stats_split_by_platform_and_tool(api: Api) -> None:
    story = await seed_story(api.store)
    response = await api.client.get("/api/v1/stats?days=3650&platform=twitter", headers=auth())
    assert response.status_code == 200, response.text
    tools = {(t["platform"], t["tool"]): t for t in response.json()["tools"]}
    assert set(tools) == {("twitter", "gallery-dl"), ("twitter", "yt-dlp")}
    gdl, ydl = tools["twitter", "gallery-dl"], tools["twitter", "yt-dlp"]
    assert (gdl["jobs"], gdl["succeeded"], gdl["failed"], gdl["answered"]) == (14, 3, 10, 1)
    assert gdl["failing_since"] == story.first_gdl_failure
    assert (ydl["succeeded"], ydl["as_fallback"], ydl["failing_since"]) == (10, 10, None)


async def test_platforms_name_their_tool_order(api: Api) -> None:
    platforms = (await api.client.get("/api/v1/platforms", headers=auth())).json()["platforms"]
    tools = {p["name"]: p["tools"] for p in platforms}
    assert tools["twitter"] == ["gallery-dl", "yt-dlp"] and tools["youtube"][0] == "yt-dlp"
    assert tools["generic"] == ["auto"]
