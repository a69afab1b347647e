"""Audio path: VAD (and, later, wake word, endpointing, ASR)."""
