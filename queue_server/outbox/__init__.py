"""Messages to citizens: a durable outbox, its sender, and the channels it sends through.

The outbox rows are written in the same transaction as the event that causes them;
the sender drains them off the writer's path. Each channel (SMS gateway, GSM modem,
Zalo ZNS, SMTP, dry-run file) is a small adapter behind `channels.base.Channel`.
The stand-ins in `standins/` play the providers for tests and the demo.
"""
