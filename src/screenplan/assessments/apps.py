from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "screenplan.assessments"
    label = "assessments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from screenplan.site import checks  # noqa: F401  (registers the durability check)
