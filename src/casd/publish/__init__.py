"""Publishing: diffs between versions and immutable releases."""
