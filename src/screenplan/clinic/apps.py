from django.apps import AppConfig
from django.db.models.signals import pre_delete


class ClinicConfig(AppConfig):
    name = "screenplan.clinic"
    label = "clinic"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from screenplan.assessments.models import Assessment

        from .handoff import audit_deletion

        pre_delete.connect(audit_deletion, sender=Assessment, dispatch_uid="clinic.audit_deletion")
