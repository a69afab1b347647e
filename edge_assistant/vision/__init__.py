"""Vision: what the camera sees (faces, hands, gestures, bodies) and the zones they fall in."""
