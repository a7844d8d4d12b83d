"""stacker blueprints: parse variables into a spec, call one builder."""
