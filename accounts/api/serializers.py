from django.conf import settings
from django.core.validators import MinLengthValidator
from rest_framework import serializers

from ..models import AccountState, Role, User, phone_validator


class UserSerializer(serializers.ModelSerializer):
    email_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "role",
            "state",
            "email_verified",
            "promotions_opt_in",
            "date_joined",
        ]
        read_only_fields = fields

    def get_email_verified(self, user: User) -> bool:
        return user.email_verified_at is not None


class AdminUserSerializer(UserSerializer):
    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "last_login"]
        read_only_fields = fields


class PasswordField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(write_only=True, trim_whitespace=False, max_length=128, **kwargs)


class DocumentedMinLength(MinLengthValidator):
    """States Django's minimum password length in the schema (`minLength`) and checks nothing:
    the service's password validators do, with their own messages."""

    def __call__(self, value):
        pass


def _password_min_length() -> int:
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith(".MinimumLengthValidator"):
            return validator.get("OPTIONS", {}).get("min_length", 8)
    return 1


class NewPasswordField(PasswordField):
    """A password being chosen: Django's password validators apply (in the service)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(DocumentedMinLength(_password_min_length()))


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = NewPasswordField()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    promotions_opt_in = serializers.BooleanField(required=False, default=False)


class EmailInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class EmailExistsSerializer(serializers.Serializer):
    exists = serializers.BooleanField()


class LinkTokenInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)


class PasswordResetConfirmInputSerializer(LinkTokenInputSerializer):
    new_password = NewPasswordField()


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = PasswordField()
    new_password = NewPasswordField()


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = PasswordField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginOutputSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenInputSerializer(serializers.Serializer):
    token = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class UnsubscribeInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class ProfileUpdateInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[phone_validator]
    )
    promotions_opt_in = serializers.BooleanField(required=False)


class AdminUserCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = NewPasswordField()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", validators=[phone_validator]
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.CUSTOMER)


class AdminUserUpdateInputSerializer(ProfileUpdateInputSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    state = serializers.ChoiceField(
        choices=[AccountState.ACTIVE, AccountState.SUSPENDED],
        required=False,
        help_text="`suspended` suspends the account; `active` lifts a suspension.",
    )
