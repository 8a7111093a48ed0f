"""The one-way rule of `core/layers.py`, over the whole project."""

from pathlib import Path

from django.conf import settings

from core.layers import LAYERS, upward_imports


def test_apps_import_only_from_apps_below_them():
    assert upward_imports(Path(settings.BASE_DIR)) == []


def test_every_installed_app_of_ours_has_a_layer():
    ours = {app for app in settings.INSTALLED_APPS if (Path(settings.BASE_DIR) / app).is_dir()}
    assert ours <= set(LAYERS)


def test_an_upward_or_sideways_import_is_found(tmp_path):
    for app in LAYERS:
        (tmp_path / app).mkdir()
    (tmp_path / "screening" / "services.py").write_text(
        "from booking.selectors import x\nimport payments.models\nfrom .models import Seat\n"
    )
    (tmp_path / "catalog" / "selectors.py").write_text(
        "def f():\n    from accounts import models\n    from core import db\n"
    )
    (tmp_path / "booking" / "tests").mkdir()
    (tmp_path / "booking" / "tests" / "test_x.py").write_text("from payments import models\n")

    assert upward_imports(tmp_path) == [
        "catalog/selectors.py:2: catalog -> accounts",
        "screening/services.py:1: screening -> booking",
        "screening/services.py:2: screening -> payments",
    ]
