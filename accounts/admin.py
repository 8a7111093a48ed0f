from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import services
from .models import AccountState, User, UserManager


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

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.has_change_permission(request, obj):
            context["can_suspend"] = obj.state != AccountState.SUSPENDED and obj != request.user
            context["can_reactivate"] = obj.state == AccountState.SUSPENDED
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/suspend/",
                self.admin_site.admin_view(self.suspend_view),
                name="accounts_user_suspend",
            ),
            path(
                "<path:object_id>/reactivate/",
                self.admin_site.admin_view(self.reactivate_view),
                name="accounts_user_reactivate",
            ),
            *super().get_urls(),
        ]

    def _state_change(self, request, object_id, *, suspend: bool):
        """Suspend or reactivate one account after a confirmation, through the API's services."""
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        back = reverse("admin:accounts_user_change", args=[user.pk])
        if request.method == "POST":
            if suspend:
                self._suspend(request, user)
            else:
                self._reactivate(request, user)
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "title": f"{'Suspend' if suspend else 'Reactivate'} {user}?",
            "account": user,
            "suspend": suspend,
            "back": back,
        }
        return TemplateResponse(request, "admin/accounts/user/state.html", context)

    def suspend_view(self, request, object_id):
        return self._state_change(request, object_id, suspend=True)

    def reactivate_view(self, request, object_id):
        return self._state_change(request, object_id, suspend=False)

    def _suspend(self, request, user) -> None:
        try:
            services.user_suspend(user=user, by=request.user)
        except ValidationError as exc:
            self.message_user(request, f"{user}: {'; '.join(exc.messages)}", messages.ERROR)
        else:
            self.message_user(
                request, f"{user} is suspended: logins and tokens stop now.", messages.SUCCESS
            )

    def _reactivate(self, request, user) -> None:
        user = services.user_reactivate(user=user)
        self.message_user(
            request, f"{user} is {user.get_state_display().lower()}.", messages.SUCCESS
        )

    @admin.action(description="Suspend selected accounts", permissions=["change"])
    def suspend(self, request, queryset):
        for user in queryset:
            self._suspend(request, user)

    @admin.action(description="Reactivate selected accounts", permissions=["change"])
    def reactivate(self, request, queryset):
        for user in queryset:
            self._reactivate(request, user)

    @admin.action(description="E-mail a password reset link", permissions=["change"])
    def send_password_reset(self, request, queryset):
        for user in queryset:
            services.password_reset_request(email=user.email)
        self.message_user(
            request, "Reset links sent to the selected accounts that are not suspended."
        )
