"""boss-bot: download media from links posted in Discord and post it back."""
