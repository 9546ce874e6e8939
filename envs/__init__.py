"""HotpotQA and ALFWorld environments."""
