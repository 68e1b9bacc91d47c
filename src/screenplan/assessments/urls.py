from django.urls import path

from . import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("start/", views.start, name="start"),
    path("screen/", views.screen, name="screen"),
    path("screen/crisis/", views.crisis, name="crisis"),
    path("results/", views.results, name="results"),
    path("plan/", views.plan, name="plan"),
    path("plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("link/", views.private_link, name="private_link"),
    path("delete/", views.delete, name="delete"),
    path("about-the-questions/", views.about_questions, name="about_questions"),
    path("patterns/", views.patterns, name="patterns"),
]
