"""Engine-neutral core: knows boto3 and troposphere, never stacker, Runway or Sceptre."""
