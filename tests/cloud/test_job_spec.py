import dataclasses
import json

import pytest
import yaml
from google.cloud import aiplatform_v1

from mlbasics.cloud.job_spec import gcloud_command, gcloud_config, load_spec, save_spec
from mlbasics.core.errors import DataFileError, InputError


def test_good_spec_builds_the_api_message_and_round_trips_json(good_spec):
    job = good_spec.to_custom_job()
    again = aiplatform_v1.CustomJob.from_json(aiplatform_v1.CustomJob.to_json(job))
    pool = again.job_spec.worker_pool_specs[0]
    assert pool.machine_spec.accelerator_type == aiplatform_v1.AcceleratorType.NVIDIA_TESLA_T4
    assert pool.machine_spec.accelerator_count == 1
    assert pool.python_package_spec.python_module == "mlbasics.cli"
    assert list(pool.python_package_spec.args) == list(good_spec.args)
    assert again.job_spec.base_output_directory.output_uri_prefix == "gs://my-bucket/jobs/1"


def test_cpu_only_spec(good_spec):
    spec = dataclasses.replace(good_spec, machine_type="n2-standard-8", accelerator_type=None, accelerator_count=0)
    assert spec.to_custom_job().job_spec.worker_pool_specs[0].machine_spec.accelerator_count == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accelerator_type": "NVIDIA_TESLA_X"}, "not a Vertex AI accelerator"),
        ({"accelerator_count": -1}, "accelerator_count must be one of"),
        ({"accelerator_count": 3}, "accelerator_count must be one of"),
        ({"replica_count": -1}, "replica_count must be an integer in 1..1,000"),
        ({"replica_count": 0}, "replica_count"),
        ({"machine_type": "big-machine"}, "not a Compute Engine machine type"),
        ({"machine_type": "z9-standard-4"}, "family 'z9'"),
        ({"machine_type": "n2-standard-4"}, "has no GPUs; NVIDIA_TESLA_T4 fits only n1 machines"),
        ({"machine_type": "g2-standard-8"}, "takes \\['NVIDIA_L4'\\]"),
        ({"package_uris": ()}, "package_uris is empty"),
        ({"package_uris": ("dist/trainer.tar.gz",)}, "cannot read your disk"),
        ({"package_uris": ("gs://my-bucket/trainer.exe",)}, "package_uris"),
        ({"python_module": "trainer/task.py"}, "dotted module name"),
        ({"base_output_dir": "/tmp/out"}, "base_output_dir"),
        ({"region": "Iowa"}, "region"),
        ({"display_name": ""}, "display_name"),
        ({"accelerator_type": None, "accelerator_count": 2}, "set both or neither"),
    ],
)
def test_each_bad_field_is_named_before_submission(change, message, good_spec):
    with pytest.raises(InputError, match=message):
        dataclasses.replace(good_spec, **change).to_custom_job()


def test_spec_file_round_trip_and_errors(tmp_path, good_spec):
    save_spec(good_spec, tmp_path / "spec.json")
    assert load_spec(tmp_path / "spec.json") == good_spec
    (tmp_path / "broken.json").write_text('{"display_name": \n')
    with pytest.raises(DataFileError, match="broken.json:2: not valid JSON"):
        load_spec(tmp_path / "broken.json")
    data = {**good_spec.to_dict(), "acelerator_type": "NVIDIA_L4"}
    (tmp_path / "typo.json").write_text(json.dumps(data))
    with pytest.raises(DataFileError, match="unknown field.*acelerator_type"):
        load_spec(tmp_path / "typo.json")
    (tmp_path / "bad.json").write_text(json.dumps({**good_spec.to_dict(), "replica_count": -2}))
    with pytest.raises(DataFileError, match="bad.json: replica_count"):
        load_spec(tmp_path / "bad.json")


def test_gcloud_config_is_a_custom_job_spec(good_spec):
    config = yaml.safe_load(gcloud_config(good_spec))
    pool = config["workerPoolSpecs"][0]
    assert pool["machineSpec"] == {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_TESLA_T4",
                                   "acceleratorCount": 1}
    assert pool["pythonPackageSpec"]["packageUris"] == list(good_spec.package_uris)
    assert config["baseOutputDirectory"] == {"outputUriPrefix": "gs://my-bucket/jobs/1"}
    # gcloud parses the file as the same message type
    parsed = aiplatform_v1.CustomJobSpec.from_json(json.dumps(config))
    assert parsed.worker_pool_specs[0].replica_count == 1
    assert gcloud_command(good_spec) == ["gcloud", "ai", "custom-jobs", "create", "--region=us-central1",
                                    "--display-name=shapes-detector", "--config=job.yaml"]


def test_default_image_and_tested_versions_are_stated():
    """The default image is named, and the versions the job really ran with can be read without TensorFlow."""
    from mlbasics.cloud.job_spec import DEFAULT_IMAGE, TESTED_WITH, JobSpec
    from mlbasics.cloud.local_run import local_versions

    assert JobSpec("x", ("gs://b-1/p.whl",), "m", "gs://b-1/o").executor_image_uri == DEFAULT_IMAGE
    versions = local_versions()
    assert set(versions) == set(TESTED_WITH)
    assert versions["python"].count(".") == 2 and versions["tensorflow"][0].isdigit()
