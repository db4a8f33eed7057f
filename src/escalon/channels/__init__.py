"""Channels: how customers reach Escalon (e-mail, web form, chat, phone, social) and importers of past conversations.

One module per channel: `mail` (with `email` reading a mail, `mail_identity`, `smtp`, `imap`,
`participants`, `review`), `webform`, `chat`, `phone`, `social`. They share `threads` (which
reference leads to which case, recorded race-safely) and `intake` (what a delivery became, flow
requests built from a channel's). `views`, `inbound_views` and `pages` are their HTTP endpoints.
"""
