"""Sources: read public artifacts (Hugging Face hub, GitHub) into SourceInfo."""
