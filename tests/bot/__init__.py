"""The Telegram bot: decisions table-tested, the bot driven through the fake Bot API."""
