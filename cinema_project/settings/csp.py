"""django-csp: a Content-Security-Policy on every response, for the admin's and the API docs'
pages above all. Everything they load is served from this origin (WhiteNoise, the sidecar's copies
of Swagger UI and ReDoc), so 'self' is enough; the docs views add the little they need on top
(core.docs)."""

from csp.constants import NONE, SELF

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Swagger UI's and the admin's stylesheets draw icons from data: URIs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
