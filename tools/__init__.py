"""Tools agents act with: the Wikipedia search of the HotpotQA task."""
