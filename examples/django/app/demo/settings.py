# Just enough Django: no database, no sessions; templates from demo/templates.
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "not-a-secret: this demo has no sessions or logins"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django_extensions", "crispy_forms", "demo"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"], "APP_DIRS": True}]
DATABASES = {}
CRISPY_TEMPLATE_PACK = "bootstrap4"
USE_TZ = True
