"""A wire-level Discord test double: real HTTP and a real websocket on 127.0.0.1.

discord.py's own network code (aiohttp session, rate-limit buckets, multipart encoding,
gateway state machine, sharding, reconnect logic) runs unchanged against it, so end-to-end
tests see what Discord would see.

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
``harness.running(double, *bots)`` starts bots, waits (bounded) until they are ready and
checks afterwards that the double saw no gap (``unknown_routes``) and no bug of its own.

Layout: ``constants`` (Discord's numbers), ``models`` (users, guilds, roles, channels),
``records`` (what was received), ``permissions`` (Discord's arithmetic), ``gateway`` +
``gateway_state`` (websocket, sessions, shards), ``rest/`` (HTTP routes, one module per
concept); ``DiscordDouble`` is assembled from ``state`` → ``payloads`` → ``events`` →
``config`` → ``interactions`` → ``injection`` → ``inspection`` → ``server``.

REST under ``/api/v10``
-----------------------

* users/@me, users/{id}, ``POST users/@me/channels`` (opens or returns the bot's DM),
  oauth2/applications/@me, gateway, gateway/bot (``shards``: ``double.recommended_shards``,
  default one per 1,000 guilds), guilds/{id}, guilds/{id}/members/{id}, channels/{id},
  channels/{id}/typing.
* channels/{id}/messages: GET (public messages, newest first; ``[]`` without
  READ_MESSAGE_HISTORY), POST; messages/{id}: GET, PATCH, DELETE.
* reactions: ``PUT …/reactions/{emoji}/@me``, ``DELETE …/reactions/{emoji}/@me``,
  ``DELETE …/reactions/{emoji}/{user_id}``, ``GET …/reactions/{emoji}``,
  ``DELETE …/reactions[/{emoji}]``; emoji ``"⏳"`` or ``"name:id"``.
* application commands (GET/PUT, global and guild; ``type``, ``integration_types`` and
  ``contexts`` kept as sent), ``POST interactions/{id}/{token}/callback``,
  ``POST webhooks/{app}/{token}`` (follow-ups), ``GET/PATCH/DELETE
  webhooks/{app}/{token}/messages/{@original|id}``; the CDN serves uploads at
  ``GET /attachments/{channel}/{message}/{filename}``.
* Anything else → 501 ``{"code": 0, "message": "...route not implemented: METHOD /path"}``
  (400 under /interactions and /webhooks, whose client retries 5xx), recorded in
  ``double.unknown_routes``.

Discord's rules, enforced
-------------------------

* Files: per file 10 MiB at tiers 0–1 and in DMs, 50 MiB at tier 2, 100 MiB at tier 3, or
  ``Guild.real_limit_override``; interaction responses and follow-ups use the interaction's
  ``attachment_size_limit`` (or a lower real override) → 413 ``{"code": 40005}``. More than
  10 attachments, content over 2000 characters or more than 10 embeds → 400 50035; an
  empty message → 400 50006; a bad token → 401.
* Permissions (``permissions.py``): @everyone + roles, owner/ADMINISTRATOR = all, channel
  overwrites (@everyone, roles, member), no VIEW_CHANNEL = nothing, no SEND_MESSAGES = no
  files/embeds/mentions; threads use the parent's overwrites and SEND_MESSAGES_IN_THREADS.
  A channel the bot cannot view, a guild it is not in, someone else's DM → 403 50001; a
  missing permission → 403 50013: SEND_MESSAGES, ATTACH_FILES (uploads),
  READ_MESSAGE_HISTORY (replies, fetching a message, reacting), ADD_REACTIONS (only for an
  emoji not yet on the message), MANAGE_MESSAGES (deleting another author's message,
  removing another user's reaction, changing another author's flags).
* Another author's message: content, embeds, attachments or components → always 403 50005
  "Cannot edit a message authored by another user"; only SUPPRESS_EMBEDS (1<<2) may change,
  with MANAGE_MESSAGES. In DMs moderation is 403 50003. A DM to a user with
  ``accepts_dms=False`` → 403 50007. More than 20 distinct reactions → 400 30010.
* Interactions: a second callback → 400 40060; a follow-up before the callback → 404 10015;
  after the token's life (``interaction_token_ttl``, default 15 min, or ``token_ttl=`` per
  interaction, or ``expire_interaction``) every webhook call → 401 50027 "Invalid Webhook
  Token"; a callback later than ``callback_deadline`` (off by default; Discord: 3 s) or
  after expiry → 404 10062.
* Ephemeral messages (flags 64 on a callback or follow-up) exist only for their user: never
  dispatched, 404 on the channel routes, absent from ``public_messages``; reachable through
  the interaction's webhook routes and ``ephemeral_messages`` / ``visible_messages``.

Gateway
-------

HELLO → heartbeat/ACK → IDENTIFY → READY → GUILD_CREATE per guild; RESUME (replays missed
dispatches; refused with INVALID_SESSION if the backlog, 1,000 frames / 4 MiB, lost some)
→ RESUMED; REQUEST_GUILD_MEMBERS → one GUILD_MEMBERS_CHUNK. Sequencing is synchronous and
one writer per socket sends in order, so event order is call order.

* Intents: GUILD_MESSAGES / DIRECT_MESSAGES gate message events, GUILD_MESSAGE_REACTIONS /
  DIRECT_MESSAGE_REACTIONS reactions, GUILD_MEMBERS member events (except the bot's own
  GUILD_MEMBER_UPDATE, sent regardless, as on Discord); without MESSAGE_CONTENT a guild
  message arrives with empty content/embeds/attachments/components (unless it mentions the
  bot).
* Events: MESSAGE_CREATE/UPDATE/DELETE, MESSAGE_REACTION_ADD/REMOVE, INTERACTION_CREATE,
  and, for changes made after the bot connected, GUILD_CREATE (a guild joined; no
  ``unavailable`` key, so ``on_guild_join`` fires), GUILD_ROLE_CREATE/UPDATE,
  GUILD_MEMBER_ADD/UPDATE, CHANNEL_CREATE/UPDATE, THREAD_CREATE. Nothing is dispatched
  about places the bot cannot see (guilds it is not in, other people's DMs) or ephemeral
  messages.
* Sharding: IDENTIFY ``shard: [i, n]`` gets READY with ``shard`` and only the guilds with
  ``(guild_id >> 22) % n == i`` (READY and GUILD_CREATE); guild events go only to the
  session owning the guild, DMs (and their interactions) to shard 0. Any number of
  concurrent connections, from any number of processes. ``shard`` outside ``0 <= i < n`` →
  close 4010; more guilds on a shard than ``max_guilds_per_shard`` (2,500) → close 4011.
  Guild ids get a millisecond each (``id >> 22`` distinct), so consecutive guilds land on
  consecutive shards; ``add_guild(shard=(i, n))`` picks one.
* Scale: GUILD_CREATE is built per guild in time linear in its size, queued in batches of
  50; ``add_guild(member_count=N)`` reports N members while sending few, and
  ``DiscordDouble(guild_create_members="bot")`` sends only the bot's member, as Discord does
  without the presences intent. 2,500 guilds × 11 channels × 9 roles: configured in about
  0.3 s, one shard's GUILD_CREATEs served in under a second.

Configuration (``DiscordDouble(...)``)
--------------------------------------

``token``, ``bot_name``, ``heartbeat_interval_ms``, ``storage_dir``, ``echo_bot_messages``,
``send_ratelimit_headers``, ``interaction_token_ttl: float = 900``,
``callback_deadline: float | None = None``, ``recommended_shards: int | None = None``,
``max_guilds_per_shard: int | None = 2500``, ``guild_create_members: "all" | "bot"``.
Attributes may be changed later too (e.g. ``double.recommended_shards = 4``).

Set-up (before the bot connects, or live: see Events):

* ``add_user(name, *, bot=False, accepts_dms=True) -> User``
* ``add_guild(name, *, premium_tier=0, owner_id=None, real_limit_override=None,
  channel_names=("general",), bot_permissions=None, with_bot=True, member_count=None,
  shard=None) -> Guild`` (@everyone, text channels, the owner and the bot as members;
  ``with_bot=False``: a guild the bot is not in, for user installs)
* ``add_role(guild_id, name, *, permissions=0) -> Role``,
  ``set_role_permissions(guild_id, role_id, permissions) -> Role`` (@everyone: the guild id)
* ``add_member(guild_id, user_id, roles=()) -> Member``,
  ``add_member_role(guild_id, user_id, role_id) -> Member``,
  ``grant(guild_id, user_id, permissions, *, name=None) -> Role`` (e.g. MANAGE_MESSAGES,
  MANAGE_GUILD: a new role, given to the user)
* ``add_text_channel(guild_id, name, *, nsfw=False, category_id=None, topic=None)``,
  ``add_channel(guild_id, name, *, type=0|2|4, ...)``, ``add_category``,
  ``add_voice_channel``, ``add_thread(parent_id, name, *, owner_id=None)`` (type 11, in
  GUILD_CREATE ``threads``), ``set_nsfw(channel_id, nsfw=True)``,
  ``set_overwrite(channel_id, role_or_user_id, *, allow=0, deny=0) -> Overwrite``
* ``dm_channel(user_id)`` (the bot's DM), ``add_private_channel(*user_ids, group=False)`` (a
  DM or group DM without the bot: interaction context 2)
* ``set_real_limit(guild_id, limit)``, ``shard_of(guild_id, shard_count)``,
  ``inject_fault(method, glob, *, status, count, retry_after, is_global, body)``,
  ``inject_latency(method, glob, seconds, *, count, uploads_only)``

Injection:

* ``send_user_message(channel_id, author_id, content, *, attachments=(), reply_to=None,
  embeds=(), flags=0) -> dict`` (channels, threads, DMs; ``embeds`` like Discord's link
  previews, ``reply_to`` adds ``message_reference`` + ``referenced_message``)
* ``react(message_id, user_id, emoji)``, ``unreact(...)``, ``delete_user_message(id)``
* ``inject_interaction(channel_id, user_id, name, options=None, *,
  attachment_size_limit=None, install="guild"|"user"|"both", app_permissions=None,
  token_ttl=None, resolved=None) -> Interaction`` (slash command)
* ``inject_message_command(channel_id, user_id, name, message_id, *, ...)`` (Apps → name
  on a message: command type 3, ``target_id``, ``resolved.messages``),
  ``inject_user_command(channel_id, user_id, name, target_user_id, *, ...)``
* ``click_button(message_id, custom_id, user_id, *, token_ttl=None)``,
  ``select(message_id, custom_id, user_id, values, *, component_type=None, token_ttl=None)``
  (string 3; user 5, role 6, mentionable 7, channel 8 with ``resolved``),
  ``submit_modal(source_interaction, {custom_id: value}, *, custom_id=None)`` (type 5,
  mirroring the modal the bot opened), ``component(message_id, custom_id) -> dict``
* ``expire_interaction(interaction)``, ``drop_connection(code=4000, *, shard_id=None)``,
  ``invalidate_session(*, resumable=False, shard_id=None)``

An interaction's payload follows its place: in a guild, ``member`` (with channel-level
``permissions``), ``app_permissions`` (the bot's there; ``USER_INSTALL_APP_PERMISSIONS``
where it is not a member), ``authorizing_integration_owners`` ``{"0": guild_id}`` (guild
install) and/or ``{"1": user_id}`` (user install), ``context`` 0, and a partial ``guild``
when the bot is not in it; in the bot's DM ``user``, ``context`` 1, ``{"0": "0"}`` for a
guild install; in someone else's DM or a group DM ``context`` 2 (user installs only). The
``channel`` is partial (no overwrites, the user's ``permissions``).
``attachment_size_limit`` defaults to the tier's limit (10 MiB outside guilds).

Inspection:

* ``messages(channel_id, *, include_deleted=False, include_ephemeral=True)``,
  ``public_messages(channel_id)``, ``visible_messages(channel_id, user_id)``,
  ``ephemeral_messages(user_id, channel_id=None)``, ``bot_messages(channel_id, *,
  include_ephemeral=True)``, ``message(id)``, ``deleted_messages(channel_id)``,
  ``attachments(channel_id)``, ``wait_for_message(channel_id, predicate, *, author_id,
  timeout)``. A ``StoredMessage`` has ``attachments``, ``embeds``, ``edits`` (each with a
  monotonic ``at`` and ``flags``), ``flag_changes`` (``FlagChange``: at, by, before,
  after), ``reaction_events``, ``reactions`` / ``reactors()``, ``ephemeral_to``,
  ``deleted``/``deleted_at``/``deleted_by``, ``payload``.
* ``reactions(message_id, *, user_id=None) -> list[str]``,
  ``reaction_events(message_id) -> list[ReactionEvent]`` (kind, emoji, user_id, at, by).
* ``interactions`` (``Interaction``: ``payload``, ``callbacks``, ``original_message_id``,
  ``followup_ids``, ``modal``, ``attachment_size_limit``, ``expires_at``/``expired``,
  ``expired_calls``, ``install``, ``context``), ``commands``, ``typing``.
* ``requests`` / ``requests_to(method, glob)`` (``RequestRecord``: method, path, status,
  Discord ``code``, monotonic time, route template, fault), ``unknown_routes``,
  ``internal_errors`` (the double's own bugs, answered with a 503 — 400 on webhook paths —
  that discord.py does not retry).
* Gateway: ``dispatched(event=None, *, shard_id=None) -> list[DispatchRecord]`` (event, seq,
  guild_id, ref_id, at, replayed: which connection/shard received what),
  ``gateway.connections`` (``GatewayConnection``: shard, kind, events, close_code...),
  ``gateway.live_shards()``, ``gateway.received`` (frames the client sent),
  ``gateway_epoch``.
* Waits (all bounded): ``wait_until(predicate, timeout, *, poll=None)`` (``poll`` for
  predicates on the bot's own state), ``wait_for_gateway(after=0, timeout, *, shards=1)``.

Uploads are streamed to disk (``storage_dir``, a temp dir removed by ``stop()``), never held
whole in memory: the bot under test shares the process, and its memory may be measured. Read
attachment bytes (``StoredAttachment.data`` / ``.path`` / ``.sha256``) before the double stops.

Facts about discord.py 2.7.1 found while building this (they matter to the bot too)
-----------------------------------------------------------------------------------

* ``json_or_text`` parses JSON only when Content-Type is *exactly* ``application/json``;
  aiohttp's ``web.json_response`` adds ``; charset=utf-8`` and discord.py would then return the
  body as a ``str``. The double builds its responses by hand for this reason.
* A 429 is retried only if the response has a ``Via`` header and a JSON body with
  ``retry_after`` (else it is taken for a Cloudflare ban and raised as ``HTTPException``).
  ``retry_after`` above ``max_ratelimit_timeout`` raises ``RateLimited``. 500/502/504/524 are
  retried up to 5 times, sleeping 1 s, 3 s, 5 s, ...; other 5xx (like the double's 501) raise
  ``DiscordServerError`` at once. 413 raises ``HTTPException`` with ``status == 413`` and
  ``code == 40005``.
* The *webhook adapter* (interaction callbacks, follow-ups, ``@original``) is separate: it
  retries *every* 5xx five times (1+2n s, 25 s in all) and raises ``HTTPException`` for a
  401 (``code == 50027`` once the token expired). ``Interaction.is_expired()`` counts 15
  minutes from the interaction id's timestamp: it knows nothing of a shortened expiry.
* X-RateLimit-* headers are optional; when ``X-RateLimit-Remaining`` is present discord.py also
  reads ``-Limit`` and ``-Reset-After`` (or ``-Reset``). The double sends generous values so
  buckets are tracked but never block.
* A plain ``Client``/``Bot`` never calls ``GET /gateway/bot``; it connects to
  ``DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``) with ``?v=10&encoding=json&
  compress=zlib-stream``. It only zlib-decompresses *binary* frames, so plain JSON text frames
  work. RESUME goes to READY's ``resume_gateway_url``.
* ``AutoShardedClient`` calls ``/gateway/bot`` (and uses its ``url`` and ``shards``) only
  when no ``shard_count`` is given; with one it connects to ``DEFAULT_GATEWAY``.
  ``shard_ids`` requires ``shard_count``. It reads ``READY["shard"][0]`` (KeyError
  without), and READY must list only that shard's guilds: it waits for a GUILD_CREATE of
  each listed guild and keeps the others as unavailable stubs. Every shard but the first
  of a process goes through ``before_identify_hook(initial=False)``, a 5 s sleep, so
  ``on_ready`` of an n-shard process comes 5·(n-1) s late unless the hook is overridden.
* Close codes 4004 and 4010–4014 are fatal: ``Client.start`` raises ``ConnectionClosed``
  (4014: ``PrivilegedIntentsRequired``); others reconnect.
* Login is ``GET /users/@me`` (401 → ``LoginFailure``) then ``GET /oauth2/applications/@me``,
  which must carry id, name, description, icon, bot_public, bot_require_code_grant, owner and
  verify_key (KeyError otherwise); ``interactions_endpoint_url`` must be null or discord.py warns
  that interactions will not reach the bot.
* ``on_ready`` fires ``guild_ready_timeout`` (default 2 s) after the last GUILD_CREATE; pass a
  small value (0.1) in tests. Chunking only happens with the members intent and when
  ``member_count`` differs from the members sent; with ``guild_create_members="all"`` the
  double sends them equal (and answers REQUEST_GUILD_MEMBERS anyway). Without the members
  intent discord.py caches no member from GUILD_CREATE but the bot itself
  (``guild.get_member(user)`` is None even when sent).
* GUILD_CREATE with ``unavailable: false`` means "back from an outage"
  (``on_guild_available``); a guild just joined must not carry it (``on_guild_join``).
* Members need ``flags`` and ``roles``; users need ``discriminator`` and ``avatar``; messages
  need ``type`` and ``content``; attachments need ``size``, ``url`` and ``proxy_url``; text
  channels need ``position``, voice channels ``bitrate`` and ``user_limit``; threads need
  ``owner_id``, ``message_count``, ``member_count`` and ``thread_metadata`` (``archived``,
  ``auto_archive_duration``, ``archive_timestamp``); an interaction needs ``version`` and
  ``attachment_size_limit`` (``Interaction.filesize_limit`` is that value); reaction events
  need ``type``; a message's ``reactions`` need ``me``.
* ``Thread.is_nsfw()`` is the parent's ``is_nsfw()`` (a thread has no flag of its own).
  A ``ChannelSelect`` value is an ``AppCommandChannel`` (``nsfw``, ``is_nsfw()``) or an
  ``AppCommandThread``, which has neither: look the parent up. Resolved channels need
  ``permissions``.
* An interaction from a guild the bot is not in: discord.py makes a throw-away guild from
  ``data["guild"]`` (``bot.get_guild`` stays None) and a ``TextChannel`` from the partial
  ``channel`` (reading ``name`` and ``position``); ``interaction.user`` is a ``Member``
  whose ``permissions`` come from ``member.permissions``. In a DM or group DM the channel
  is a ``DMChannel``/``GroupChannel`` from the same partial data.
  ``is_user_integration()`` compares ``authorizing_integration_owners["1"]`` with the user,
  ``is_guild_integration()`` ``["0"]`` with the guild.
* A context-menu command is looked up by ``(name, guild_id, type)``; its argument is
  ``resolved.messages[target_id]`` (a full message) or ``resolved.users``/``members``.
* A view sent with an (ephemeral) interaction response is stored under the message id of
  the callback's ``resource.message``; component interactions are routed by
  ``(component_type, message id, custom_id)``. ``send_modal`` is callback type 9; the modal's
  text inputs go out wrapped in action rows, and submissions are read from rows or labels
  (type 18).
* ``Message.edit(suppress=True)`` sends ``{"tts": false, "flags": 4}``. ``add_reaction`` of
  the *string* ``"<:name:id>"`` sends ``:name:id`` (it strips ``<>`` only); a
  ``PartialEmoji`` sends ``name:id``.
* Files go out as ``files[n]`` parts with ``Content-Type: application/octet-stream`` and
  ``payload_json`` lists ``attachments: [{"id": n, "filename": ...}]``; the content/text is in
  ``payload_json``, not a form field. Discord (and the double) infer the attachment's
  ``content_type`` from the filename. On a retry discord.py seeks the file back to its start.
* discord.py checks nothing about files client-side (not the count, not the size): 11 files
  or an oversize file reach the server and come back as 400 / 413 ``HTTPException``.
* Every re-IDENTIFY (not the first) sleeps 5 s in ``Client.before_identify_hook``; test bots
  override it with a no-op (``harness.QuietIdentify``). A RESUME does not wait.
* ``Messageable.send(..., nonce=...)`` sets ``enforce_nonce``; the double then returns the first
  message for a repeated nonce instead of a duplicate, as Discord does.
* Interaction callbacks are ``POST /interactions/{id}/{token}/callback?with_response=1`` and the
  response is ``{"interaction": {...}, "resource": {"type": n, "message": {...}}}``; follow-ups
  and ``edit_original_response`` go to ``/webhooks/{application_id}/{token}``, unauthenticated.
"""

from .constants import (
    ADD_REACTIONS,
    ADMINISTRATOR,
    ATTACH_FILES,
    CHANNEL_PUBLIC_THREAD,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM_FILE_LIMIT,
    EMBED_LINKS,
    FLAG_EPHEMERAL,
    FLAG_SUPPRESS_EMBEDS,
    INTERACTION_TOKEN_TTL,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MIB,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    TIER_FILE_LIMITS,
    VIEW_CHANNEL,
)
from .gateway_state import DispatchRecord, GatewayConnection
from .models import Channel, Guild, Member, Overwrite, Role, User, shard_of
from .records import (
    Fault,
    FlagChange,
    Interaction,
    MessageEdit,
    ReactionEvent,
    RequestRecord,
    StoredAttachment,
    StoredMessage,
    UnknownRoute,
)
from .server import DiscordDouble

__all__ = [
    "ADD_REACTIONS",
    "ADMINISTRATOR",
    "ATTACH_FILES",
    "CHANNEL_PUBLIC_THREAD",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "DM_FILE_LIMIT",
    "EMBED_LINKS",
    "FLAG_EPHEMERAL",
    "FLAG_SUPPRESS_EMBEDS",
    "INTERACTION_TOKEN_TTL",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MIB",
    "READ_MESSAGE_HISTORY",
    "SEND_MESSAGES",
    "SEND_MESSAGES_IN_THREADS",
    "TIER_FILE_LIMITS",
    "VIEW_CHANNEL",
    "Channel",
    "DiscordDouble",
    "DispatchRecord",
    "Fault",
    "FlagChange",
    "GatewayConnection",
    "Guild",
    "Interaction",
    "Member",
    "MessageEdit",
    "Overwrite",
    "ReactionEvent",
    "RequestRecord",
    "Role",
    "StoredAttachment",
    "StoredMessage",
    "UnknownRoute",
    "User",
    "shard_of",
]
