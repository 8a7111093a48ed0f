"""Settings, read from the environment and an optional `.env` file (see `.env.example`).

`base` holds Django itself and the product's own settings; each integration has a small module.
"""

from .base import *  # noqa: F403
from .celery import *  # noqa: F403
from .database import *  # noqa: F403
from .drf import *  # noqa: F403
from .email import *  # noqa: F403
from .logging import *  # noqa: F403
from .notifications import *  # noqa: F403
from .security import *  # noqa: F403
