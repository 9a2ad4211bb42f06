from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hotline.accounts"
    verbose_name = _("Accounts and audit")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from hotline.accounts.actions import on_user_login_failed

        user_login_failed.connect(on_user_login_failed, dispatch_uid="hotline.accounts.throttle")
