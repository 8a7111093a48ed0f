from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from .exceptions import ApplicationError
from .models import OutboundEmail, OutboundEmailAttachment
from .outbox import email_messages_requeue


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


class OutboundEmailAttachmentInline(admin.TabularInline):
    model = OutboundEmailAttachment
    fields = ["filename", "mimetype", "content_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent, what is waiting, what failed and why. "Send again"
    queues the chosen mails anew (`core.outbox.email_messages_requeue`)."""

    list_display = ["subject", "recipients", "template", "status", "attempts", "created_at"]
    list_filter = ["status", "template"]
    search_fields = ["subject", "to"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "to",
        "template",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_error",
        "created_at",
        "sent_at",
        "message_id",
        "renderer",
        "render_params",
        "rendered_at",
        "body",
    ]
    fields = readonly_fields
    inlines = [OutboundEmailAttachmentInline]
    actions = ["send_again"]

    @admin.display(description="to")
    def recipients(self, email: OutboundEmail) -> str:
        return ", ".join(email.to)

    @admin.display(description="body text")
    def body(self, email: OutboundEmail) -> str:
        """The text; never a sensitive mail's (a sign-in link would let staff sign in as the
        customer)."""
        return "(hidden: it holds a one-time link)" if email.sensitive else email.body_text

    @admin.action(description="Send again")
    def send_again(self, request, queryset):
        count = email_messages_requeue(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} e-mail(s) queued to be sent again.", messages.SUCCESS)

    def lookup_allowed(self, lookup, value, request=None):
        """No filtering on the bodies through the query string (`?body_text__contains=`): the
        count of matches would spell out a sensitive mail's link one guess at a time."""
        if lookup.split("__")[0] in ("body_text", "body_html"):
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
