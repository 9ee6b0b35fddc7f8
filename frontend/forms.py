"""Forms of the account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, UsernameField


class SignupForm(forms.Form):
    username = UsernameField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. Shown next to your submissions and reviews.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        help_text="Where we send review news and password-reset links.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        user_model = get_user_model()
        validator = user_model.username_validator
        validator(username)
        if user_model._default_manager.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken. Please choose another one.")
        return username

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        if get_user_model()._default_manager.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address exists. Log in, or reset your password."
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ. Please type the same twice.")
        elif p1:
            user_model = get_user_model()
            probe = user_model(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That username and password do not match an account. Both are case-sensitive."
        ),
    }
