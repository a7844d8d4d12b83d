"""Sceptre adapters: the template handler, hooks and resolvers; they import Sceptre and the core, nothing else.

Registered as entry points (``setup.py``): template handler ``stacker_ecs``, hooks ``!ecs_verify_health``,
``!ecs_cutover``, ``!ecs_rollback``, ``!ecs_cleanup``, resolvers ``!ecs_live_version``, ``!alb_listener``,
``!alb_rule_priority``, ``!ecs_live_desired_count``. Sceptre imports every entry point when it starts,
so these modules import the core only when they run. See ``config/sceptre`` for a project using them.
"""
