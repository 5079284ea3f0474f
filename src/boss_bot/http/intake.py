"""``POST /api/v1/downloads``: the same intake a Discord request goes through.

For each URL: :func:`~boss_bot.core.urls.check_url` (scheme, credentials, leading ``-``, and
the SSRF guard: private, loopback and reserved addresses are refused unless
ALLOW_PRIVATE_NETWORK_URLS or PRIVATE_NETWORK_ALLOWLIST say otherwise, exactly as the download
manager decides), then the pipeline's intake when this process runs one (per-user rate limit
and guild quota through ``Store.quotas.check``, queue limits in ``Store.queue.enqueue``), else
the same two store calls directly. The result is a persisted ``download-only`` job that the
bot's dispatcher claims like any other; nothing is downloaded inside the HTTP request.

A refused URL does not sink the others: the 202 lists the jobs created and the URLs refused,
each with the error a Discord user would have seen. When every URL is refused, the response is
the first refusal's status (422 for a bad URL, 429 for quotas and a full queue).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from boss_bot.core.errors import BossBotError
from boss_bot.core.jobs.requests import JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Job
from boss_bot.core.urls import check_url, host_of
from boss_bot.http.auth import Caller
from boss_bot.http.errors import ApiError, api_error_of
from boss_bot.http.models import (
    AcceptedJob,
    DownloadAccepted,
    DownloadRequest,
    ErrorDetail,
    RefusedUrl,
)
from boss_bot.http.services import Services


def private_allowed(settings: BossSettings, url: str) -> bool:
    """ALLOW_PRIVATE_NETWORK_URLS, or the URL's host:port is on PRIVATE_NETWORK_ALLOWLIST
    (the rule the download manager applies before it downloads)."""
    if settings.allow_private_network_urls:
        return True
    allowed = settings.allowlisted_endpoints()
    if not allowed:
        return False
    host = host_of(url)
    parts = urlsplit(url.strip().strip("<>"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    return host is not None and (host, port) in allowed


async def _submit_one(services: Services, request: JobRequest) -> Job:
    if services.submit is not None:
        submitted = await services.submit(request)
        if not isinstance(submitted, Job):  # AlreadyPosted: impossible for download-only
            raise ApiError(409, "already_posted", "This media was already delivered.")
        return submitted
    store = services.store
    await store.quotas.check(user_id=request.user_id, guild_id=request.guild_id)
    return await store.queue.enqueue(request)


def _refusal(url: str, err: ApiError) -> tuple[RefusedUrl, ApiError]:
    return RefusedUrl(url=url, error=ErrorDetail(code=err.code, message=err.message)), err


async def intake(services: Services, caller: Caller, body: DownloadRequest) -> DownloadAccepted:
    settings = services.settings
    accepted: list[Job] = []
    refused: list[tuple[RefusedUrl, ApiError]] = []
    for url in body.urls:
        try:
            checked = await check_url(
                url, allow_private=private_allowed(settings, url), resolve=services.resolve
            )
            request = JobRequest(
                url=checked,
                user_id=caller.user_id,
                kind=body.kind,
                options=body.options.core(),
                upload=False,
            )
            accepted.append(await _submit_one(services, request))
        except BossBotError as exc:
            refused.append(_refusal(url, api_error_of(exc)))
        except ApiError as err:
            refused.append(_refusal(url, err))
    if not accepted:
        first = refused[0][1]
        details = [r.model_dump(mode="json") for r, _ in refused]
        raise ApiError(first.status, first.code, first.message, headers=first.headers,
                       details=details)  # fmt: skip
    positions = await services.store.queue.positions()
    return DownloadAccepted(
        jobs=[
            AcceptedJob(
                id=j.id,
                url=j.url,
                status=j.status,  # type: ignore[arg-type]
                platform=j.platform,
                position=positions.get(j.id),
            )
            for j in accepted
        ],
        refused=[r for r, _ in refused],
    )
