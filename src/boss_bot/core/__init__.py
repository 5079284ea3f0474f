"""The core: everything boss-bot does that is not Discord or the CLI. Never imports discord."""
