from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_response
from core.permissions import IsAdmin

from .. import services
from ..models import AccountState, Role, User, UserManager
from . import serializers as s

ACCEPTED = OpenApiResponse(
    s.DetailSerializer, description="Accepted, whether or not the account exists."
)


class PublicView(APIView):
    """No authentication at all: a stale token in the browser must not block login or reset."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class AuthThrottledView(PublicView):
    throttle_scope = "auth"


class NoStoreMixin:
    """For answers that carry tokens: no browser or proxy cache may keep them
    (`Cache-Control: no-store`, on errors too)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class RegisterView(AuthThrottledView):
    @extend_schema(
        tags=["auth"],
        request=s.RegisterInputSerializer,
        responses={201: s.UserSerializer},
        summary="Create a customer account; a verification link is e-mailed",
    )
    def post(self, request):
        serializer = s.RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=s.LinkTokenInputSerializer,
        responses={
            200: s.UserSerializer,
            400: error_response("`invalid_token`, `validation_error`."),
        },
        summary="Activate an account from the e-mailed link",
    )
    def post(self, request):
        serializer = s.LinkTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_verify_email(**serializer.validated_data)
        return Response(s.UserSerializer(user).data)


class VerifyEmailResendView(AuthThrottledView):
    @extend_schema(
        tags=["auth"],
        request=s.EmailInputSerializer,
        responses={202: ACCEPTED},
        summary="Send the verification link again",
    )
    def post(self, request):
        serializer = s.EmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.verification_email_resend(**serializer.validated_data)
        return Response(
            {"detail": "If an unverified account has this address, a new link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class EmailExistsView(AuthThrottledView):
    @extend_schema(
        tags=["auth"],
        parameters=[OpenApiParameter("email", str, required=True)],
        responses={200: s.EmailExistsSerializer},
        summary="Whether an account uses this e-mail address",
    )
    def get(self, request):
        serializer = s.EmailInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        email = UserManager.normalize_email(serializer.validated_data["email"])
        return Response({"exists": User.objects.filter(email=email).exists()})


class LoginView(NoStoreMixin, AuthThrottledView):
    @extend_schema(
        tags=["auth"],
        request=s.LoginInputSerializer,
        responses={
            200: s.LoginOutputSerializer,
            401: error_response("`invalid_credentials`."),
            403: error_response("`email_not_verified`, `account_suspended`."),
            429: error_response(
                "`throttled` (this address, every auth endpoint), `account_locked` (too many "
                "failed logins for this account, from this address or from everywhere); see "
                "`Retry-After`."
            ),
        },
        summary="Exchange e-mail and password for a token pair",
    )
    def post(self, request):
        serializer = s.LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = services.user_login(**serializer.validated_data, request=request._request)
        return Response({**tokens, "user": s.UserSerializer(user).data})


class TokenRefreshView(NoStoreMixin, PublicView):
    @extend_schema(
        tags=["auth"],
        request=s.RefreshInputSerializer,
        responses={
            200: s.TokenPairSerializer,
            401: error_response(
                "`token_not_valid`: invalid, expired, revoked; `refresh_token_reused`: rotated "
                "a while ago - a copy is in other hands, and every token of that login has been "
                "revoked: log in again. (Rotated just now: the answer is the pair its rotation "
                "issued.)"
            ),
            403: error_response("`account_suspended`."),
        },
        summary="Rotate a refresh token: the old one stops working (at once again: the same pair)",
    )
    def post(self, request):
        serializer = s.RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.token_refresh(**serializer.validated_data))


class TokenVerifyView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=s.TokenInputSerializer,
        responses={200: s.DetailSerializer, 401: error_response("`token_not_valid`.")},
        summary="Check that an access token would be accepted now (refresh tokens: 401)",
    )
    def post(self, request):
        serializer = s.TokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_verify(**serializer.validated_data)
        return Response({"detail": "The token is valid."})


class LogoutView(APIView):
    @extend_schema(
        tags=["auth"],
        request=s.RefreshInputSerializer,
        responses={204: None, 400: error_response("`invalid_token`, `validation_error`.")},
        summary="Log out: revoke the refresh token and every token rotated from its login",
    )
    def post(self, request):
        serializer = s.RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_logout(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(AuthThrottledView):
    @extend_schema(
        tags=["auth"],
        request=s.EmailInputSerializer,
        responses={202: ACCEPTED},
        summary="E-mail a one-time password reset link",
    )
    def post(self, request):
        serializer = s.EmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(**serializer.validated_data)
        return Response(
            {"detail": "If an account has this address, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=s.PasswordResetConfirmInputSerializer,
        responses={
            200: s.DetailSerializer,
            400: error_response("`invalid_token`, `validation_error`."),
        },
        summary="Set a new password from the e-mailed link",
    )
    def post(self, request):
        serializer = s.PasswordResetConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response({"detail": "Your password has been changed. You can log in now."})


class UnsubscribeView(PublicView):
    @extend_schema(
        tags=["auth"],
        parameters=[
            OpenApiParameter(
                "token", str, required=True, description="From a promotional e-mail's link."
            )
        ],
        responses={200: s.DetailSerializer, 400: error_response("`invalid_token`.")},
        summary="Stop promotional e-mails: the link in every promotion, no login needed",
    )
    def get(self, request):
        serializer = s.UnsubscribeInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        services.user_unsubscribe(**serializer.validated_data)
        return Response({"detail": "You will receive no more promotional e-mails."})


class PasswordChangeView(NoStoreMixin, APIView):
    @extend_schema(
        tags=["auth"],
        request=s.PasswordChangeInputSerializer,
        responses={200: s.TokenPairSerializer},
        summary="Change the password; other sessions are logged out, this one gets new tokens",
    )
    def post(self, request):
        serializer = s.PasswordChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.password_change(user=request.user, **serializer.validated_data))


class MeView(APIView):
    @extend_schema(tags=["users"], responses={200: s.UserSerializer}, summary="My profile")
    def get(self, request):
        return Response(s.UserSerializer(request.user).data)

    @extend_schema(
        tags=["users"],
        request=s.ProfileUpdateInputSerializer,
        responses={200: s.UserSerializer},
        summary="Change my profile (`email` and `role` cannot be changed here)",
    )
    def patch(self, request):
        serializer = s.ProfileUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=serializer.validated_data)
        return Response(s.UserSerializer(user).data)


class UserFilter(filters.FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices)
    state = filters.ChoiceFilter(choices=AccountState.choices)

    class Meta:
        model = User
        fields = ["role", "state", "promotions_opt_in"]


@extend_schema(tags=["admin: users"])
class AdminUserListView(generics.ListAPIView):
    permission_classes = [IsAdmin]
    queryset = User.objects.all()
    serializer_class = s.AdminUserSerializer
    filterset_class = UserFilter
    search_fields = ["email", "first_name", "last_name"]
    ordering_fields = ["date_joined", "email", "last_login"]

    @extend_schema(summary="List and search users")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.AdminUserCreateInputSerializer,
        responses={201: s.AdminUserSerializer},
        summary="Create an account of any role, active at once",
    )
    def post(self, request):
        serializer = s.AdminUserCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(s.AdminUserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["admin: users"])
class AdminUserDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses={200: s.AdminUserSerializer}, summary="A user")
    def get(self, request, pk: int):
        return Response(s.AdminUserSerializer(get_object_or_404(User, pk=pk)).data)

    @extend_schema(
        request=s.AdminUserUpdateInputSerializer,
        responses={200: s.AdminUserSerializer},
        summary="Change a user's profile or role; suspend or reactivate",
    )
    def patch(self, request, pk: int):
        user = get_object_or_404(User, pk=pk)
        serializer = s.AdminUserUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_admin_update(
            user=user, data=serializer.validated_data, by=request.user
        )
        return Response(s.AdminUserSerializer(user).data)
