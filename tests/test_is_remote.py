"""One answer to "is this path remote?" (io/storage.is_remote): a URL with a scheme, whatever the scheme."""

from pathlib import Path

import pytest

from mlbasics.cli._args import existing_file, output_dir
from mlbasics.core.errors import InputError
from mlbasics.io import storage
from mlbasics.io.outputs import check_output_location


@pytest.mark.parametrize("path", ["gs://bucket/a.txt", "s3://bucket/a", "hdfs://host/x", "gs://b"])
def test_urls_are_remote(path):
    assert storage.is_remote(path)


@pytest.mark.parametrize("path", ["a.txt", "/tmp/x", Path("photos/x.jpg"), "photos/a://b", "C:\\photos\\a.jpg",
                                  "gs:/bucket/a", "://x", ""])
def test_local_paths_are_not(path):
    assert not storage.is_remote(path)


def test_every_layer_agrees_on_another_scheme(tmp_path):
    # the command line keeps it as given and the output check leaves it alone (nothing local to check) ...
    assert existing_file("s3://bucket/a.txt") == "s3://bucket/a.txt"
    assert output_dir("s3://bucket/out") == "s3://bucket/out"
    check_output_location("s3://bucket/out", [tmp_path])
    # ... and the storage layer, which opens gs:// only, names it instead of taking it for a local path
    with pytest.raises(InputError, match="expected a gs://bucket/path URL, got 's3://bucket/a.txt'"):
        storage.gs_read_text("s3://bucket/a.txt")
    with pytest.raises(InputError, match="s3://bucket/b"):
        storage.gs_read_many(["s3://bucket/b"])
    assert not (Path.cwd() / "s3:").exists()
