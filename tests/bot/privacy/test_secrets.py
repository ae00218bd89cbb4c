"""Secrets come from the environment only; the default secret is refused outside development."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from bot.app.cli.main import app
from bot.kernel.errors import SettingsInvalid
from bot.settings import Settings, load_settings
from bot.settings.toml_source import _is_secret, _model_of

pytestmark = pytest.mark.unit


def every_secret(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, field in model.model_fields.items():
        if _is_secret(field.annotation):
            yield (*prefix, name)
        elif (inner := _model_of(field.annotation)) is not None:
            yield from every_secret(inner, (*prefix, name))


SECRETS = list(every_secret(Settings))


def test_the_settings_do_hold_secrets() -> None:
    assert ("secret_key",) in SECRETS
    assert ("itsm", "servicenow", "password") in SECRETS
    assert len(SECRETS) >= 5


@pytest.mark.parametrize("path", SECRETS, ids="__".join)
def test_a_secret_in_guichet_toml_is_refused(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    table = f"[{'.'.join(path[:-1])}]\n" if len(path) > 1 else ""
    (tmp_path / "guichet.toml").write_text(f'port = 8100\n{table}{path[-1]} = "in-a-file"\n')
    variable = "GUICHET_" + "__".join(path).upper()
    with pytest.raises(SettingsInvalid, match=variable) as refused:
        load_settings()
    assert "environment" in str(refused.value)
    assert "in-a-file" not in str(refused.value)


def test_the_same_secret_from_the_environment_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "guichet.toml").write_text('port = 8100\n[itsm.servicenow]\nusername = "svc"\n')
    monkeypatch.setenv("GUICHET_ITSM__SERVICENOW__PASSWORD", "from-the-vault")
    settings = load_settings()
    assert settings.port == 8100
    assert settings.itsm.servicenow.password.get_secret_value() == "from-the-vault"


def test_serve_will_not_start_in_production_with_the_default_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GUICHET_ENVIRONMENT", "production")
    monkeypatch.delenv("GUICHET_SECRET_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "GUICHET_SECRET_KEY" in result.output
    assert "development default" in result.output


def test_serve_will_not_start_in_production_on_the_demo_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GUICHET_ENVIRONMENT", "production")
    monkeypatch.setenv(
        "GUICHET_SECRET_KEY", "hJ4s9Qe2Vx7Lm0Rk3Tb8Wn5Yc1Pz6Ud-Gf_Ka2Hs7Jd4Nq9Xv3Bm8Ct5Ew1"
    )
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "GUICHET_DIRECTORY__BACKEND" in result.output and "builtin" in result.output
