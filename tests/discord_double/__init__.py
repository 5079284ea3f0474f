"""A wire-level Discord test double: real HTTP and a real websocket on 127.0.0.1.

discord.py's own network code (aiohttp session, rate-limit buckets, multipart encoding,
gateway state machine, reconnect logic) runs unchanged against it, so end-to-end tests see
what Discord would see.

Usage::

    from tests.discord_double import DiscordDouble

    async with DiscordDouble() as double:
        guild = double.add_guild("tier0", premium_tier=0)     # configure before connecting
        alice = double.add_user("alice")
        double.add_member(guild.id, alice.id)
        channel_id = guild.default_channel_id

        with double.patch_discord():          # Route.BASE + DEFAULT_GATEWAY, restored after
            bot = MyBot(..., guild_ready_timeout=0.1)
            task = asyncio.create_task(bot.start(double.token))
            await double.wait_for_gateway()   # READY + GUILD_CREATEs sent
            await double.send_user_message(channel_id, alice.id, "$download http://...")
            reply = await double.wait_for_message(channel_id, lambda m: m.attachments)
            assert reply.attachments[0].size <= 10 * 1024 * 1024
            await bot.close()

The bot itself may point discord.py at the double instead of ``patch_discord``:
``discord.http.Route.BASE = double.api_base`` (a ``str``) and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)``.

What it does:

* REST under ``/api/v10``: users/@me, users/{id}, users/@me/channels (DM), oauth2/applications/@me,
  gateway, gateway/bot, guilds/{id}, guilds/{id}/members/{id}, channels/{id},
  channels/{id}/typing, channels/{id}/messages (GET list, POST), messages/{id} (GET, PATCH,
  DELETE), reactions (PUT @me), application commands (GET/PUT, global and guild),
  interactions/{id}/{token}/callback, webhooks/{app}/{token} (follow-ups; GET/PATCH/DELETE
  messages/{id|@original}); ``GET /attachments/{channel}/{message}/{filename}`` serves uploads.
  Anything else → 501 ``{"code": 0, "message": "...route not implemented: METHOD /path"}``,
  recorded in ``double.unknown_routes``.
* Limits like Discord: per file 10 MiB at tiers 0–1 and in DMs, 50 MiB at tier 2, 100 MiB at
  tier 3, or ``Guild.real_limit_override`` → 413 ``{"code": 40005}``; more than 10 attachments,
  content over 2000 characters or more than 10 embeds → 400 ``{"code": 50035}``; an empty
  message → 400 50006; missing SEND_MESSAGES/ATTACH_FILES → 403 50013; bad token → 401.
* Gateway: HELLO → heartbeat/ACK → IDENTIFY → READY → GUILD_CREATE per guild; RESUME (replays
  missed dispatches) → RESUMED; REQUEST_GUILD_MEMBERS → one GUILD_MEMBERS_CHUNK. Intents are
  honoured: GUILD_MESSAGES / DIRECT_MESSAGES gate message events, and without MESSAGE_CONTENT a
  guild message arrives with empty content (unless it mentions the bot), as on Discord.
* Configuration (before the bot connects: GUILD_CREATE is sent at IDENTIFY): ``add_guild``
  (creates @everyone, a "general" channel, the owner and the bot as members), ``add_user``,
  ``add_member``, ``add_role``, ``add_text_channel``, ``dm_channel``.
* Injection: ``send_user_message``, ``inject_interaction`` (slash command), ``click_button``,
  ``inject_fault`` (500 / 429 / anything, next N requests), ``drop_connection``,
  ``invalidate_session``, ``set_real_limit``.
* Inspection: ``messages(channel_id)`` (``StoredMessage`` with ``attachments``, ``edits`` —
  each with a monotonic ``at`` for throttling checks — ``payload``, ``deleted``),
  ``bot_messages``, ``attachments``, ``requests`` / ``requests_to`` (method, path, status,
  monotonic time, route template, fault), ``unknown_routes``, ``interactions``, ``commands``,
  ``typing``, ``gateway.connections`` / ``gateway.received``, ``internal_errors`` (the
  double's own bugs, answered with a 503 that discord.py does not retry); ``wait_until``,
  ``wait_for_message`` and ``wait_for_gateway`` wait (bounded) for state changes.

Uploads are streamed to disk (``storage_dir``, a temp dir removed by ``stop()``), never held
whole in memory: the bot under test shares the process, and its memory may be measured. Read
attachment bytes (``StoredAttachment.data`` / ``.path`` / ``.sha256``) before the double stops.

Facts about discord.py 2.7.1 found while building this (they matter to the bot too):

* ``json_or_text`` parses JSON only when Content-Type is *exactly* ``application/json``;
  aiohttp's ``web.json_response`` adds ``; charset=utf-8`` and discord.py would then return the
  body as a ``str``. The double builds its responses by hand for this reason.
* A 429 is retried only if the response has a ``Via`` header and a JSON body with
  ``retry_after`` (else it is taken for a Cloudflare ban and raised as ``HTTPException``).
  ``retry_after`` above ``max_ratelimit_timeout`` raises ``RateLimited``. 500/502/504/524 are
  retried up to 5 times, sleeping 1 s, 3 s, 5 s, ...; other 5xx (like the double's 501) raise
  ``DiscordServerError`` at once. 413 raises ``HTTPException`` with ``status == 413`` and
  ``code == 40005``.
* X-RateLimit-* headers are optional; when ``X-RateLimit-Remaining`` is present discord.py also
  reads ``-Limit`` and ``-Reset-After`` (or ``-Reset``). The double sends generous values so
  buckets are tracked but never block.
* A plain ``Client``/``Bot`` never calls ``GET /gateway/bot``; it connects to
  ``DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``) with ``?v=10&encoding=json&
  compress=zlib-stream``. It only zlib-decompresses *binary* frames, so plain JSON text frames
  work. ``AutoShardedClient`` does call ``/gateway/bot`` and uses the URL it returns. RESUME
  goes to READY's ``resume_gateway_url``.
* Login is ``GET /users/@me`` (401 → ``LoginFailure``) then ``GET /oauth2/applications/@me``,
  which must carry id, name, description, icon, bot_public, bot_require_code_grant, owner and
  verify_key (KeyError otherwise); ``interactions_endpoint_url`` must be null or discord.py warns
  that interactions will not reach the bot.
* ``on_ready`` fires ``guild_ready_timeout`` (default 2 s) after the last GUILD_CREATE; pass a
  small value (0.1) in tests. Chunking only happens with the members intent and when
  ``member_count`` differs from the members sent; the double sends them equal (and answers
  REQUEST_GUILD_MEMBERS anyway).
* Members need ``flags`` and ``roles``; users need ``discriminator`` and ``avatar``; messages
  need ``type`` and ``content``; attachments need ``size``, ``url`` and ``proxy_url``; text
  channels need ``position``; an interaction needs ``version`` and ``attachment_size_limit``
  (``Interaction.filesize_limit`` is that value).
* Files go out as ``files[n]`` parts with ``Content-Type: application/octet-stream`` and
  ``payload_json`` lists ``attachments: [{"id": n, "filename": ...}]``; the content/text is in
  ``payload_json``, not a form field. Discord (and the double) infer the attachment's
  ``content_type`` from the filename. On a retry discord.py seeks the file back to its start.
* discord.py checks nothing about files client-side (not the count, not the size): 11 files
  or an oversize file reach the server and come back as 400 / 413 ``HTTPException``.
* Every re-IDENTIFY (not the first) sleeps 5 s in ``Client.before_identify_hook``; test bots
  override it with a no-op. A RESUME does not wait.
* ``Messageable.send(..., nonce=...)`` sets ``enforce_nonce``; the double then returns the first
  message for a repeated nonce instead of a duplicate, as Discord does.
* Interaction callbacks are ``POST /interactions/{id}/{token}/callback?with_response=1`` and the
  response is ``{"interaction": {...}, "resource": {"type": n, "message": {...}}}``; follow-ups
  and ``edit_original_response`` go to ``/webhooks/{application_id}/{token}``, unauthenticated.
"""

from .models import (
    ADMINISTRATOR,
    DM_FILE_LIMIT,
    MANAGE_GUILD,
    MIB,
    TIER_FILE_LIMITS,
    Channel,
    Fault,
    Guild,
    Interaction,
    Member,
    MessageEdit,
    RequestRecord,
    Role,
    StoredAttachment,
    StoredMessage,
    UnknownRoute,
    User,
)
from .server import DiscordDouble

__all__ = [
    "ADMINISTRATOR",
    "DM_FILE_LIMIT",
    "MANAGE_GUILD",
    "MIB",
    "TIER_FILE_LIMITS",
    "Channel",
    "DiscordDouble",
    "Fault",
    "Guild",
    "Interaction",
    "Member",
    "MessageEdit",
    "RequestRecord",
    "Role",
    "StoredAttachment",
    "StoredMessage",
    "UnknownRoute",
    "User",
]
