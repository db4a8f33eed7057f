"""Channels: how customers reach Escalon (e-mail, web form, chat, phone, social) and importers of past conversations."""
