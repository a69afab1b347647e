"""The safety policy between understanding and action: verify, confirm or refuse."""

from edge_assistant.policy.policy import Confirmation, Evidence, Policy, Verdict

__all__ = ["Confirmation", "Evidence", "Policy", "Verdict"]
