"""Runway CFNgin adapters: blueprints, hooks and lookups; they import Runway and the core, nothing else.

See ``config/cfngin/ecs.yml`` for a config using them, and docs/cfngin.md.
"""
