"""Glue between this suite and moto, the local AWS emulator: used by the demo, the tests and the benchmark.

Nothing here is part of the plugin suite. It exists because moto (see docs/emulator.md)
runs no containers and needs a few things a real account already has: a VPC, an ACM
certificate, a hosted zone, the public ECS AMI parameter.
"""
