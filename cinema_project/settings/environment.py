"""The one `env` reader every settings module uses, with the env file loaded once."""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# An env file is a convenience (`.env` by default, or the file ENV_FILE names); real environment
# variables win over it.
environ.Env.read_env(os.environ.get("ENV_FILE", BASE_DIR / ".env"), overwrite=False)
