"""License compatibility of a model with a GitHub project (ModelGo's rules)."""
