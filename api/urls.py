from rest_framework.routers import DefaultRouter

app_name = "api"

router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False

urlpatterns = router.urls
