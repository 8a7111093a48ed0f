"""The API docs pages (Swagger UI, ReDoc) under the site's Content-Security-Policy.

Both load only this origin's files (drf-spectacular-sidecar). Swagger UI comes as the split view:
its start-up script is a file of its own (`?script`), not an inline script. Both pages have a
small inline stylesheet and ReDoc injects its styles at run time ('unsafe-inline' styles, on these
two pages only); ReDoc's search runs in a web worker made from a blob: URL.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

DOCS_CSP = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


class RedocView(SpectacularRedocView):
    template_name = "core/redoc.html"


def swagger_ui(*, url_name: str):
    return csp_update(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name=url_name))


def redoc(*, url_name: str):
    return csp_update(DOCS_CSP)(RedocView.as_view(url_name=url_name))
