"""Blue/green ECS deployments from CloudFormation: blueprints, hooks and lookups for stacker, CFNgin and Sceptre."""

__version__ = "0.1.0"
