from .environment import env

# consolemail:// in development; smtp+tls://user:pass@host:587 and friends in production.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Cinema <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
