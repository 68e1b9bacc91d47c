from django.urls import path

from . import signin, views

urlpatterns = [
    path("", views.queue, name="staff_queue"),
    path("login/", signin.sign_in, name="staff_signin"),
    path("login/code/", signin.code, name="staff_code"),
    path("logout/", signin.sign_out, name="staff_signout"),
    path("case/<uuid:public_id>/", views.case, name="staff_case"),
    path("case/<uuid:public_id>/note/", views.add_note, name="staff_note"),
    path("case/<uuid:public_id>/status/", views.change_status, name="staff_status"),
    path("case/<uuid:public_id>/assign/", views.assign, name="staff_assign"),
    path("case/<uuid:public_id>/fhir.json", views.case_fhir, name="staff_case_fhir"),
    path("export.csv", views.export_csv, name="staff_export"),
    path("stats/", views.stats, name="staff_stats"),
    path("audit/", views.audit_log, name="staff_audit"),
    path("users/", views.users, name="staff_users"),
    path("users/<int:user_id>/deactivate/", views.deactivate, name="staff_deactivate"),
]
