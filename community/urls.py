from django.urls import path

from . import views_committees, views_duty, views_fund, views_volunteers

app_name = "community"
urlpatterns: list = []

# ==== Committees and working groups (section: committees) ====
urlpatterns += [
    path("classes/<int:class_id>/committee/", views_committees.class_committee, name="committee_class"),
    path("committees/<int:committee_id>/", views_committees.committee, name="committee"),
    path("committees/<int:committee_id>/members/", views_committees.add_member, name="committee_add_member"),
    path("committees/members/<int:member_id>/", views_committees.change_member, name="committee_change_member"),
    path("committees/members/<int:member_id>/write/", views_committees.write_to_member, name="committee_write"),
    path("committees/messages/<int:message_id>/reply/", views_committees.reply, name="committee_reply"),
    path("school/committees/", views_committees.school_committees, name="committee_school"),
    path("me/committees/", views_committees.my_committees, name="committee_mine"),
    path("school/working-groups/", views_committees.working_groups, name="working_groups"),
    path("me/working-groups/", views_committees.my_working_groups, name="working_groups_mine"),
    path("working-groups/<int:group_id>/", views_committees.working_group, name="working_group"),
    path("working-groups/<int:group_id>/members/", views_committees.working_group_add, name="working_group_add"),
    path("working-groups/members/<int:member_id>/", views_committees.working_group_member, name="working_group_member"),
]
# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====
urlpatterns += [
    path("volunteers/", views_volunteers.volunteer_home, name="volunteer_home"),
    path("volunteers/join/", views_volunteers.volunteer_join, name="volunteer_join"),
    path("volunteers/<int:volunteer_id>/archive/", views_volunteers.volunteer_archive, name="volunteer_archive"),
    path("volunteers/activities/", views_volunteers.activity_list, name="activity_list"),
    path("volunteers/activities/new/", views_volunteers.activity_new, name="activity_new"),
    path("volunteers/activities/<int:activity_id>/", views_volunteers.activity_family, name="activity_family"),
    path("volunteers/activities/<int:activity_id>/manage/", views_volunteers.activity_manage, name="activity_manage"),
    path(
        "volunteers/activities/<int:activity_id>/check-in/",
        views_volunteers.activity_checkin,
        name="activity_checkin",
    ),
    path("volunteers/activities/<int:activity_id>/cancel/", views_volunteers.activity_cancel, name="activity_cancel"),
    path("volunteers/slots/<int:slot_id>/sign-up/", views_volunteers.slot_signup, name="slot_signup"),
    path("volunteers/sign-ups/<int:signup_id>/code/", views_volunteers.signup_code, name="signup_code"),
    path("volunteers/sign-ups/<int:signup_id>/withdraw/", views_volunteers.signup_withdraw, name="signup_withdraw"),
    path("classes/<int:class_id>/volunteers/", views_volunteers.class_volunteers, name="class_volunteers"),
    path(
        "classes/<int:class_id>/volunteers.xlsx",
        views_volunteers.class_volunteers_export,
        name="class_volunteers_export",
    ),
]
# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====
urlpatterns += [
    path("duty/", views_duty.duty_list, name="duty_list"),
    path("duty/<int:roster_id>/", views_duty.duty_roster, name="duty_roster"),
    path("duty/mine/", views_duty.duty_mine, name="duty_mine"),
    path("quant/", views_duty.quant_compare, name="quant_compare"),
    path("quant/categories/", views_duty.quant_categories, name="quant_categories"),
    path("quant/class/<int:class_id>/", views_duty.quant_class, name="quant_class"),
]
# (end of section: duty)


# ==== The class fund ledger (section: fund) ====
urlpatterns += [
    path("classes/<int:class_id>/fund/", views_fund.fund, name="fund"),
    path("classes/<int:class_id>/fund/entries/", views_fund.record_entry, name="fund_record"),
    path("classes/<int:class_id>/fund/keeper/", views_fund.name_keeper, name="fund_keeper"),
    path("fund/entries/<int:entry_id>/countersign/", views_fund.countersign, name="fund_countersign"),
    path("fund/entries/<int:entry_id>/reverse/", views_fund.reverse_entry, name="fund_reverse"),
    path("fund/entries/<int:entry_id>/decline/", views_fund.decline, name="fund_decline"),
    path("fund/entries/<int:entry_id>/receipt/", views_fund.receipt, name="fund_receipt"),
    path("fund/entries/<int:entry_id>/questions/", views_fund.ask, name="fund_ask"),
    path("fund/questions/<int:question_id>/answer/", views_fund.answer, name="fund_answer"),
    path("me/fund/", views_fund.my_funds, name="fund_mine"),
]
# (end of section: fund)
