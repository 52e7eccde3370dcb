from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/edit/", views.programme_edit, name="edit"),
    path("<int:pk>/status/", views.programme_status, name="status"),
    path("<int:pk>/roster/", views.roster, name="roster"),
    path("<int:pk>/report/", views.programme_report, name="report"),
    path("<int:pk>/nominations/", views.nominations, name="nominations"),
    path("<int:pk>/sessions/", views.session_add, name="session_add"),
    path("<int:pk>/quotas/", views.quota_set, name="quota_set"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/assignments/", views.assignment_add, name="assignment_add"),
    path("<int:pk>/test-scores/", views.test_scores, name="test_scores"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/enrol/", views.enrol, name="enrol"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("enrolments/<int:pk>/withdraw/", views.enrolment_withdraw, name="enrolment_withdraw"),
    path("enrolments/<int:pk>/adjust/", views.enrolment_adjust, name="enrolment_adjust"),
    path("sessions/<int:pk>/checkin/", views.checkin, name="checkin"),
    path("sessions/<int:pk>/projector/", views.projector, name="projector"),
    path("sessions/<int:pk>/attendance/", views.session_attendance, name="session_attendance"),
    path("sessions/<int:pk>/attendance/upload/", views.attendance_upload, name="attendance_upload"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/submit/", views.assignment_submit, name="assignment_submit"),
    path("submissions/<int:pk>/grade/", views.submission_grade, name="submission_grade"),
    path("submissions/<int:pk>/file/", views.submission_file, name="submission_file"),
]
