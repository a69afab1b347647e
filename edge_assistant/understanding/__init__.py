"""Understanding: text encoder (and, later, fusion with camera context)."""
