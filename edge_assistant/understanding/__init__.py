"""Understanding: text (+ what the camera knows) -> a Command on the home.

encoder -> fusion model -> resolver; see understand.py and docs/understanding.md."""
