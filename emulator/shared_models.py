"""One reader of botocore's API models for every botocore session of a process (the tests, the emulator's server).

Every ``boto3.Session()`` otherwise parses each service's model again for its first client (ec2's
alone is megabytes), and the endpoint and partition files for each session: about 0.35 s for the
dozen services a test world uses. Tests, worlds, agents and operations make sessions by the
thousand, and moto's server makes one for every backend it loads (to list the backend's regions).
One session's clients already share their loader this way; requests, responses and every
session's own state are untouched. The product does the same for the sessions its operations use
(:func:`stacker_ecs.core.aws.share_api_models`); this reaches every session, moto's own included.
"""

from __future__ import annotations

import botocore.loaders
import botocore.session


class _SearchPaths(list):
    """The shared loader's search paths: each ``boto3.Session`` appends boto3's own, taken once here."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_MODELS = botocore.loaders.create_loader()
_MODELS._search_paths = _SearchPaths(_MODELS.search_paths)


def _shared_data_loader(self: botocore.session.Session) -> None:
    self._components.register_component("data_loader", _MODELS)


def apply() -> None:
    """Make every botocore session created from now on read the API models through one loader."""
    botocore.session.Session._register_data_loader = _shared_data_loader  # type: ignore[method-assign]
