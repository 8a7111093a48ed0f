"""django-axes: failed logins are limited per account, not only per address (see accounts.lockout).

- LOGIN_FAILURE_LIMIT failures for one account from one address lock that pair for
  LOGIN_LOCKOUT_MINUTES: neither that address's other accounts (everyone behind the same NAT) nor
  the account's owner elsewhere are locked out.
- LOGIN_ACCOUNT_FAILURE_LIMIT failures for one account from all addresses together, in the same
  window, lock the account (guessing spread over many addresses); a password reset unlocks it.
- Per address, every auth endpoint is rate-limited by DRF's THROTTLE_AUTH.
"""

from datetime import timedelta

from .environment import env

LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)

AUTHENTICATION_BACKENDS = [
    # The admin's login: a locked-out pair is refused before the password is checked.
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# A successful login clears that pair's failures.
AXES_RESET_ON_SUCCESS = True
# Successful logins are not logged to a table (`last_login` says enough); failures are.
AXES_DISABLE_ACCESS_LOG = True
# Credentials name the account `username` (Django's authenticate() and its signals, the admin's
# form, the API's login); the callable normalizes it as an e-mail address.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# No start-up banner; failures and lockouts are logged as warnings (settings/logging.py).
AXES_VERBOSE = False
