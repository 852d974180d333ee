from django.urls import path

from . import views_committees, views_duty, views_fund, views_volunteers  # noqa: F401  (each area adds its routes)

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
]
# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====
urlpatterns += []
# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====
urlpatterns += []
# (end of section: duty)


# ==== The class fund ledger (section: fund) ====
urlpatterns += []
# (end of section: fund)
