from .environment import env

# consolemail:// in development; smtp+tls://user:pass@host:587 and friends in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Seconds an SMTP connection may block (connect, each read and write): a hung mail server must
# not hold a request, nor a worker, for ever. Django has no timeout by default.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Cinema <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
