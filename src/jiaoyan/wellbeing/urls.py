from django.urls import include, path

from . import views, views_followup

app_name = "wellbeing"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/score/", views.campaign_score, name="campaign_score"),
    path(
        "campaigns/<int:pk>/schools/<int:school_id>/codes/",
        views.campaign_roster,
        name="campaign_roster",
    ),
    path("participations/<int:pk>/paper/", views.paper_entry, name="paper"),
    path("participations/<int:pk>/opt-out/", views.opt_out, name="opt_out"),
    path("participations/<int:pk>/retest/", views.retest, name="retest"),
    path("students/<int:pk>/", views.student_detail, name="student"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/interview/", views_followup.interview, name="interview"),
    path("follow-ups/", views_followup.cases, name="followups"),
    path("follow-ups/due/", views_followup.due, name="followups_due"),
    path("follow-ups/<int:pk>/", views_followup.case_detail, name="followup"),
    path("follow-ups/<int:pk>/review/", views_followup.case_review, name="followup_review"),
    path("follow-ups/<int:pk>/referral/", views_followup.case_referral, name="followup_referral"),
    path("follow-ups/<int:pk>/visit/", views_followup.case_visit, name="followup_visit"),
    path("follow-ups/<int:pk>/close/", views_followup.case_close, name="followup_close"),
    path("campaigns/<int:pk>/figures/", views_followup.aggregates, name="aggregates"),
    path("scales/", views.scale_list, name="scales"),
    path("scales/new/", views.scale_create, name="scale_create"),
    path("answer/", views.answer_start, name="answer"),
    path("answer/question/", views.answer_item, name="answer_item"),
    path("answer/done/", views.answer_done, name="answer_done"),
    path("governance/", include("jiaoyan.wellbeing.urls_governance")),
]
