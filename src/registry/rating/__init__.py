"""Rating: metrics over gathered facts, net score, trust status, the reproducibility sandbox."""
