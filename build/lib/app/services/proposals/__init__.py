"""Village decisions by the 四议两公开: proposals through their six stages with each meeting's
quorum and majority checked, the two disclosures on the feed, and the supervision committee's
objections."""

from app.services.proposals import objections, proposals, rules, views

__all__ = ["objections", "proposals", "rules", "views"]
