from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.admin import ServiceAdminMixin, error_text
from core.exceptions import ApplicationError

from . import hooks, services
from .models import Promotion, Redemption, code_normalize
from .selectors import promotion_list


class PromotionForm(forms.ModelForm):
    ticket_types = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ticket types discounted; none ticked: all.",
    )

    class Meta:
        model = Promotion
        fields = [
            "code",
            "description",
            "discount_type",
            "value",
            "starts_at",
            "ends_at",
            "max_redemptions",
            "per_user_limit",
            "min_total",
            "max_discount_total",
            "movies",
            "ticket_types",
            "first_booking_only",
            "active",
            "refund_restores_use",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "ticket_types" in self.fields:
            self.fields["ticket_types"].choices = [(code, code) for code in hooks.ticket_types()]

    def clean_code(self):
        return code_normalize(self.cleaned_data["code"])

    def clean(self):
        """The checks the promotion services make, so that they show on the form."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        fields = [f for f in PromotionForm.Meta.fields if f != "movies"]
        promotion = Promotion(
            pk=self.instance.pk,
            **{f: cleaned[f] if f in cleaned else getattr(self.instance, f) for f in fields},
        )
        try:
            services.promotion_validate(promotion)
        except ValidationError as exc:
            raise ValidationError(error_text(exc)) from exc
        return cleaned


@admin.register(Promotion)
class PromotionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Saved, deleted and e-mailed through the promotion services, like the API."""

    form = PromotionForm
    list_display = [
        "code",
        "discount_type",
        "value",
        "starts_at",
        "ends_at",
        "active",
        "uses",
        "max_redemptions",
        "sent_at",
    ]
    list_filter = ["active", "discount_type", "first_booking_only"]
    search_fields = ["code", "description"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["movies"]
    actions = ["send"]

    def get_queryset(self, request):
        return promotion_list()

    def get_readonly_fields(self, request, obj=None):
        fixed = list(services.SENT_FIELDS) if obj is not None and obj.sent_at else []
        return [*fixed, "sent_at", "uses"]

    @admin.display(description="Uses (with live holds)", ordering="uses")
    def uses(self, promotion):
        return getattr(promotion, "uses", "-")

    def save_model(self, request, obj, form, change):
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data}
            services.promotion_update(promotion_id=obj.pk, data=data)
        else:
            obj.pk = services.promotion_create(**form.cleaned_data).pk

    def save_related(self, request, form, formsets, change):
        """The services saved the movies already."""

    def delete_model(self, request, obj):
        services.promotion_delete(promotion_id=obj.pk)

    @admin.action(description="E-mail selected promotions to customers who opted in")
    def send(self, request, queryset):
        unsubscribe_url = request.build_absolute_uri(reverse("unsubscribe"))
        for promotion in queryset:
            try:
                sent = services.promotion_send(
                    promotion_id=promotion.pk, unsubscribe_url=unsubscribe_url
                )
            except ApplicationError as exc:
                self.message_user(request, f"{promotion}: {error_text(exc)}", messages.WARNING)
            else:
                self.message_user(request, f"{promotion}: e-mailed to {sent} customers.")


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    """The uses of promo codes, as booking recorded them: read-only."""

    list_display = [
        "promotion",
        "booking_id",
        "user",
        "amount",
        "status",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "promotion"]
    search_fields = ["promotion__code", "user__email", "=booking_id"]
    list_select_related = ["promotion", "user"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Redemption._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
