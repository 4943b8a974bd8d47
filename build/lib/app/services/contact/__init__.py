"""Party members and the people they serve: pairings with households (党员联系户), contact logs
(with points for visits by the town's rule), and yearly pledges (亮承诺践诺)."""

from app.services.contact import logs, pairings, pledges

__all__ = ["logs", "pairings", "pledges"]
