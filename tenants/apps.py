from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Practices"

    def ready(self) -> None:
        from axconnect import checks  # noqa: F401 - registers the deployment checks
        from tenants import signals  # noqa: F401 - connects the receivers
