"""Feedback to the people in the room: spoken responses and short chimes."""
