"""Packaging for stacker_ecs.

Besides the package, this installs ``stacker_ecs_py311.pth`` into site-packages: one line that
imports :mod:`stacker_ecs.compat` at interpreter start, so the unmodified stacker 1.7.2 CLI runs
on Python 3.11 (see README, "Running stacker 1.7.2 on Python 3.11").
"""

import os
import runpy
import sysconfig

from setuptools import find_packages, setup

# Sceptre's template handler, hooks and resolvers, declared once in the registry (stdlib-only at load).
REGISTRY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stacker_ecs", "core", "registry.py")
SCEPTRE_ENTRY_POINTS = runpy.run_path(REGISTRY)["sceptre_entry_points"]()

# data_files paths are relative to the install prefix; this is site-packages under that prefix.
SITE_PACKAGES = os.path.relpath(sysconfig.get_path("purelib"), sysconfig.get_path("data"))

setup(
    name="stacker_ecs",
    version="0.1.0",
    description="Blue/green ECS deployments from CloudFormation: blueprints, hooks and lookups for stacker, "
                "Runway CFNgin and Sceptre.",
    python_requires=">=3.11",
    packages=find_packages(include=["stacker_ecs", "stacker_ecs.*"]),
    data_files=[(SITE_PACKAGES, ["stacker_ecs_py311.pth"])],
    install_requires=[
        "troposphere>=4.8,<5",
        "awacs>=2.4,<3",
        "boto3>=1.34",
        "pydantic>=2.6,<3",
    ],
    extras_require={
        # stacker 1.7.2's run-time needs on Python 3; stacker itself goes in with
        # `pip install --no-deps stacker==1.7.2` (its pins are stale; see README).
        "stacker": ["future", "schematics==2.1.1", "formic2", "GitPython", "python-dateutil", "PyYAML", "Jinja2"],
        "cfngin": ["runway>=2.8,<3"],
        "sceptre": ["sceptre>=4.7,<5"],
    },
    entry_points={
        "console_scripts": ["stacker-ecs=stacker_ecs.cli:console_main"],
        **SCEPTRE_ENTRY_POINTS,
    },
)
