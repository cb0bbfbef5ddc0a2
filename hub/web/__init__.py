"""The pages people open on purpose: incidents, one incident, stats; behind a sign-in."""
