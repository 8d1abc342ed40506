import json

import pytest

from mlbasics.cloud.submit import CloudSetupError, missing_setup, submit


@pytest.fixture
def no_cloud_setup(monkeypatch, tmp_path):
    """No key file, an empty gcloud config folder, no metadata server lookup, no project."""
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "GCLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    return tmp_path


def test_submit_without_credentials_or_project_says_what_is_missing(no_cloud_setup, good_spec):
    with pytest.raises(CloudSetupError) as info:
        submit(good_spec)
    message = str(info.value)
    assert "gcloud auth application-default login" in message
    assert "GOOGLE_CLOUD_PROJECT" in message


def test_credentials_without_project_asks_only_for_the_project(no_cloud_setup, monkeypatch):
    key = no_cloud_setup / "adc.json"
    key.write_text(json.dumps({"type": "authorized_user", "client_id": "id", "client_secret": "secret",
                               "refresh_token": "token"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    assert [m.split(":")[0] for m in missing_setup()] == ["no Google Cloud project"]
    assert missing_setup(project="my-project") == []


def test_invalid_spec_fails_before_any_credential_lookup(no_cloud_setup, good_spec):
    import dataclasses

    with pytest.raises(ValueError, match="replica_count"):
        submit(dataclasses.replace(good_spec, replica_count=-1))
