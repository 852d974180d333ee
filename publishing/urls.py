from django.urls import path

from . import views_articles, views_newspaper, views_public

app_name = "publishing"
urlpatterns = [
    # the column (网络家教专栏) and the staff space
    path("column/", views_articles.column, name="column"),
    path("column/staff/", views_articles.staff_space, name="staff_space"),
    path("column/write/", views_articles.write, name="write"),
    path("column/invitations/<int:invitation_id>/write/", views_articles.write_invited, name="write_invited"),
    path("column/mine/", views_articles.mine, name="mine"),
    path("column/review/", views_articles.review_queue, name="review_queue"),
    path("column/invite/", views_articles.invite, name="invite"),
    path("column/editors/", views_articles.editors, name="editors"),
    path("column/public-notices/", views_articles.public_notices, name="public_notices"),
    path("column/<int:article_id>/", views_articles.article, name="article"),
    path("column/<int:article_id>/cover/", views_articles.cover, name="cover"),
    path("column/<int:article_id>/edit/", views_articles.edit, name="edit"),
    path("column/<int:article_id>/review/", views_articles.review, name="review"),
    path("column/comments/<int:comment_id>/hide/", views_articles.hide_comment, name="hide_comment"),
    # the parent newspaper (家长报)
    path("newspaper/", views_newspaper.issues, name="issues"),
    path("newspaper/new/", views_newspaper.issue_new, name="issue_new"),
    path("newspaper/<int:issue_id>/", views_newspaper.issue, name="issue"),
    path("newspaper/<int:issue_id>/edit/", views_newspaper.issue_edit, name="issue_edit"),
    path("newspaper/<int:issue_id>/pdf/", views_newspaper.issue_pdf, name="issue_pdf"),
    path("newspaper/sections/<int:section_id>/change/", views_newspaper.section_change, name="section_change"),
    path("newspaper/sections/<int:section_id>/photo/", views_newspaper.section_photo, name="section_photo"),
    # the public page (R6): no sign-in
    path("s/<slug:code>/", views_public.public, name="public"),
    path("s/<slug:code>/feed.atom", views_public.public_feed, name="public_feed"),
    path("s/<slug:code>/articles/<int:article_id>/", views_public.public_article, name="public_article"),
]
