"""Submit a :class:`~mlbasics.cloud.job_spec.JobSpec` to Vertex AI, or say what is missing."""

from __future__ import annotations

import os
from typing import Any

from mlbasics.cloud.job_spec import JobSpec
from mlbasics.core.errors import MlbasicsError

PROJECT_VARIABLES = ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")


class CloudSetupError(MlbasicsError, RuntimeError):
    """Credentials or a project are missing; the message lists what to configure."""


def find_credentials() -> tuple[Any, str | None, str | None]:
    """``(credentials, project from the credentials, problem)`` from Application Default Credentials.

    ``problem`` is None when credentials were found, else what to do about it.
    """
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, project = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError:
        return None, None, ("no Google Cloud credentials: run `gcloud auth application-default login`, "
                            "or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file")
    return credentials, project, None


def missing_setup(project: str | None = None) -> list[str]:
    """What stops a submission, in words (empty when credentials and a project are configured)."""
    _, credentials_project, problem = find_credentials()
    missing = [problem] if problem else []
    if not (project or credentials_project or any(os.environ.get(v) for v in PROJECT_VARIABLES)):
        missing.append("no Google Cloud project: pass project=..., set GOOGLE_CLOUD_PROJECT, "
                       "or run `gcloud config set project PROJECT_ID`")
    return missing


def submit(spec: JobSpec, project: str | None = None) -> str:
    """Create the custom job in ``spec.region`` and return its resource name
    (``projects/.../locations/.../customJobs/ID``). Raises :class:`CloudSetupError` listing
    what is missing before any network call when credentials or a project are absent."""
    custom_job = spec.to_custom_job()
    missing = missing_setup(project)
    if missing:
        raise CloudSetupError("cannot submit the job: " + "; ".join(missing))
    credentials, credentials_project, _ = find_credentials()
    project = project or credentials_project or next(os.environ[v] for v in PROJECT_VARIABLES if os.environ.get(v))
    from google.cloud import aiplatform_v1

    client = aiplatform_v1.JobServiceClient(
        credentials=credentials, client_options={"api_endpoint": f"{spec.region}-aiplatform.googleapis.com"})
    created = client.create_custom_job(parent=f"projects/{project}/locations/{spec.region}", custom_job=custom_job)
    return str(created.name)
