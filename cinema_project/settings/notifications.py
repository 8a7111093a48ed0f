"""The outbox's delivery, what every mail says, and the signed tickets."""

from .environment import env

# The cinema chain's name, in every mail's footer.
CINEMA_CHAIN_NAME = env("CINEMA_CHAIN_NAME", default="Cinema")
# Attempts at sending one mail before it is marked failed (the admin can send it again).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=8)
# Wait before the second attempt; it doubles for each attempt after, up to an hour.
EMAIL_RETRY_BACKOFF_SECONDS = env.int("EMAIL_RETRY_BACKOFF_SECONDS", default=60)
# How long a worker's claim on a mail holds; a worker that dies mid-send loses it after this.
EMAIL_SEND_LEASE_SECONDS = env.int("EMAIL_SEND_LEASE_SECONDS", default=300)
# Sent mails are deleted after this many days.
EMAIL_OUTBOX_RETENTION_DAYS = env.int("EMAIL_OUTBOX_RETENTION_DAYS", default=30)
# Re-sending a booking's confirmation, per user.
THROTTLE_RESEND = env("THROTTLE_RESEND", default="5/hour")
# The Ed25519 key that signs tickets' QR codes (base64 of its 32-byte seed). Empty: derived from
# SECRET_KEY. `manage.py ticket_signing_key` prints the public key for door scanners.
TICKET_SIGNING_KEY = env("TICKET_SIGNING_KEY", default="")
