from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "screenplan.site"
    label = "screenplan_site"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the durability check)
