"""Discord's numbers, as the double enforces and renders them (API v10)."""

from __future__ import annotations

MIB = 1024 * 1024
DISCORD_EPOCH_MS = 1_420_070_400_000

#: Per-file upload limit by guild premium tier (what ``discord.Guild.filesize_limit`` says).
TIER_FILE_LIMITS: dict[int, int] = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}
#: Per-file limit in DMs (and for anything outside a guild).
DM_FILE_LIMIT = 10 * MIB
MAX_ATTACHMENTS = 10
MAX_CONTENT_LENGTH = 2000
MAX_EMBEDS = 10
#: Distinct emojis a message may carry (error 30010 beyond).
MAX_REACTIONS = 20
#: Interaction tokens (callback, follow-ups, @original) are valid this long on Discord.
INTERACTION_TOKEN_TTL = 15 * 60.0
#: Guilds one gateway connection may carry before Discord closes it with 4011.
MAX_GUILDS_PER_SHARD = 2500

# Channel types
CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_VOICE = 2
CHANNEL_GROUP_DM = 3
CHANNEL_CATEGORY = 4
CHANNEL_PUBLIC_THREAD = 11
THREAD_TYPES = frozenset({10, 11, 12})

# Permission bits (https://discord.com/developers/docs/topics/permissions)
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1
#: What @everyone gets in a fresh guild, close enough to Discord's default for a bot's needs.
DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
#: ``app_permissions`` of a user-installed app where the bot is not a member (overridable).
USER_INSTALL_APP_PERMISSIONS = (
    SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | USE_EXTERNAL_EMOJIS | MENTION_EVERYONE
)

# Gateway intents the double honours when filtering dispatches.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_MESSAGE_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15

# Message types and flags
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20
MESSAGE_CONTEXT_MENU_COMMAND = 23
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Interactions: types, application command types, contexts, integration types
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_MODAL_SUBMIT = 5
COMMAND_CHAT_INPUT = 1
COMMAND_USER = 2
COMMAND_MESSAGE = 3
CONTEXT_GUILD = 0
CONTEXT_BOT_DM = 1
CONTEXT_PRIVATE_CHANNEL = 2
GUILD_INSTALL = "0"
USER_INSTALL = "1"

# Message components
COMPONENT_ACTION_ROW = 1
COMPONENT_BUTTON = 2
COMPONENT_STRING_SELECT = 3
COMPONENT_TEXT_INPUT = 4
COMPONENT_USER_SELECT = 5
COMPONENT_ROLE_SELECT = 6
COMPONENT_MENTIONABLE_SELECT = 7
COMPONENT_CHANNEL_SELECT = 8
COMPONENT_LABEL = 18
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
