"""Self-healing on Kubernetes: policy-gated, approved, verified actions."""
