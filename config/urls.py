from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Hamkor"
admin.site.site_title = "Hamkor"
admin.site.index_title = "Partners, people and meetings"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The public list pages arrive with the lists issue; until then the admin is
    # the whole application.
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
]
