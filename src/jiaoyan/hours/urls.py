from django.urls import path

from . import views

app_name = "hours"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("statement.pdf", views.statement, name="statement"),
    path("people/<int:pk>/", views.person_ledger, name="person"),
    path("people/<int:pk>/statement.pdf", views.person_statement, name="person_statement"),
    path("declarations/", views.declaration_list, name="declarations"),
    path("declarations/new/", views.declaration_new, name="declaration_new"),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration"),
    path("declarations/<int:pk>/evidence/", views.declaration_evidence, name="evidence"),
    path("declarations/<int:pk>/approve/", views.declaration_approve, name="approve"),
    path("declarations/<int:pk>/reject/", views.declaration_reject, name="reject"),
    path("declarations/<int:pk>/withdraw/", views.declaration_withdraw, name="withdraw"),
    path("behind/", views.behind, name="behind"),
    path("behind/remind/", views.send_reminders, name="remind"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/categories/", views.category_add, name="category_add"),
    path("settings/policy/", views.policy_set, name="policy_set"),
    path("certificates/", views.my_certificates, name="certificates"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/revoke/", views.certificate_revoke, name="revoke"),
    path(
        "certificates/source/<int:ct>/<int:pk>/",
        views.source_certificates,
        name="source_certificates",
    ),
    path("certificates/source/<int:ct>/<int:pk>/zip/", views.source_zip, name="source_zip"),
    path("certificates/zip/<int:job_id>/", views.zip_download, name="zip_download"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify_page, name="verify"),
]
