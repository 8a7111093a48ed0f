from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from .exceptions import ApplicationError


def error_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


class ServiceAdminMixin:
    """For admin pages that save and delete through services.

    The services own their transactions (`transaction.atomic(durable=True)`): the admin's own
    transaction around a change or delete page would make them savepoints of a longer one and
    widen their lock scope, so these pages run without it. Forms check the rules up front, with
    the functions the services use. What only the service's locked re-check can see (another
    writer got there first) arrives here as a domain error: the admin shows it as a message
    instead of a server error. The service's transaction was rolled back.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return self._changeform_view(request, object_id, form_url, extra_context)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return self._delete_view(request, object_id, extra_context)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request, queryset):
        """ "Delete selected" goes through `delete_model`, one object (and service call) each."""
        for obj in queryset:
            self.delete_model(request, obj)
