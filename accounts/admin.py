from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import User, UserManager


class UserCreationForm(forms.ModelForm):
    """The admin's "add user": the same checks as the API's, then `services.user_create`."""

    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "phone", "role"]

    def clean_email(self):
        email = UserManager.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise ValidationError(services.EMAIL_TAKEN)
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("email"):
            user = User(**{f: cleaned.get(f) for f in self.Meta.fields})
            try:
                services.password_validate(cleaned["password"], user, field="password")
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role",
        "state",
        "date_joined",
        "last_login",
    ]
    list_filter = ["role", "state", "promotions_opt_in"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["-date_joined"]
    fields = [
        "email",
        "first_name",
        "last_name",
        "phone",
        "role",
        "promotions_opt_in",
        "state",
        "email_verified_at",
        "date_joined",
        "last_login",
    ]
    readonly_fields = ["email", "state", "email_verified_at", "date_joined", "last_login"]
    actions = ["suspend", "reactivate", "send_password_reset"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return [*UserCreationForm.Meta.fields, "password"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.pk == request.user.pk:
            return [*self.readonly_fields, "role"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the same services as the API."""
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data}
            services.user_update(user=obj, data=data, by=request.user)
        else:
            obj.pk = services.user_create(**form.cleaned_data).pk

    def has_delete_permission(self, request, obj=None):
        # Accounts are suspended, not deleted: bookings and payments keep pointing at them.
        return False

    @admin.action(description="Suspend selected accounts")
    def suspend(self, request, queryset):
        for user in queryset:
            try:
                services.user_suspend(user=user, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{user}: {'; '.join(exc.messages)}", messages.ERROR)

    @admin.action(description="Reactivate selected accounts")
    def reactivate(self, request, queryset):
        for user in queryset:
            services.user_reactivate(user=user)

    @admin.action(description="E-mail a password reset link")
    def send_password_reset(self, request, queryset):
        for user in queryset:
            services.password_reset_request(email=user.email)
        self.message_user(
            request, "Reset links sent to the selected accounts that are not suspended."
        )
