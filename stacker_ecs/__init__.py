"""Blue/green ECS deployments from CloudFormation, as stacker blueprints, hooks and lookups."""

__version__ = "0.1.0"
