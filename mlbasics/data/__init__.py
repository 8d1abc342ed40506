"""Datasets: the manifest of public data, the download cache, offline mirrors."""

from mlbasics.data.cache import cache_dir, fetch, fetch_dataset
from mlbasics.data.manifest import Manifest, load_manifest

__all__ = ["Manifest", "cache_dir", "fetch", "fetch_dataset", "load_manifest"]
