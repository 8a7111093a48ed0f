from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """Object ids in paths are whole numbers: `/halls/null/` or `/halls/1.5/` match no route
    and answer the JSON 404, instead of reaching a lookup that cannot take them."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if not hasattr(viewset, "lookup_value_regex"):
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)
