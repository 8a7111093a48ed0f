"""The one `env` reader every settings module uses, with `.env` loaded once."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A `.env` file is a convenience for development; real environment variables win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
