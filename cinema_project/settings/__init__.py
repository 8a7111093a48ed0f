"""Settings, read from the environment and an optional `.env` file (see `.env.example`).

`base` holds Django itself and the product's own settings; each integration has a small module.
`test` is the test suite's (pytest.ini names it); it is not imported here.
"""

from .base import *  # noqa: F403
from .cache import *  # noqa: F403
from .celery import *  # noqa: F403
from .cors import *  # noqa: F403
from .csp import *  # noqa: F403
from .database import *  # noqa: F403
from .drf import *  # noqa: F403
from .email import *  # noqa: F403
from .jwt import *  # noqa: F403
from .lockout import *  # noqa: F403
from .logging import *  # noqa: F403
from .notifications import *  # noqa: F403
from .security import *  # noqa: F403
from .spectacular import *  # noqa: F403
