"""The installed evalkit's version, from the package metadata (one source: pyproject.toml)."""

from importlib import metadata

try:
    __version__ = metadata.version("evalkit")
except metadata.PackageNotFoundError:  # pragma: no cover - a bare source tree on sys.path
    __version__ = "unknown"
