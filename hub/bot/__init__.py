"""The Telegram bot: commands and buttons people answer alerts with, on python-telegram-bot."""
