from django.contrib.auth.backends import ModelBackend

from core.phones import is_phone, normalize_phone

from .models import User


class PhoneOrUsernameBackend(ModelBackend):
    """Sign in with a mobile number (any way it is written) or a username, and a password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        identifier = username.strip()
        if is_phone(identifier):
            user = User.objects.filter(phone=normalize_phone(identifier)).first()
        else:
            user = User.objects.filter(username__iexact=identifier).first()
        if user is None:
            # Hash anyway, so that an unknown number takes as long as a known one.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
