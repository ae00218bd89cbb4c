"""Typed settings of approvals: `GUICHET_APPROVALS__*` (nested in bot.settings.Settings).

Who approves is the catalog's (`approver:` of each item); these say when the approver is
reminded and when the service desk takes the decision over.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class ApprovalSettings(BaseModel):
    remind_after_hours: float = Field(
        24.0, gt=0, description="hours without a decision before the approver is reminded once"
    )
    escalate_after_hours: float = Field(
        72.0,
        gt=0,
        description="hours without a decision before the request goes to the service desk, "
        "whose agents may then decide too",
    )
    run_worker: bool = Field(
        True, description="send reminders and escalations from this process's background loop"
    )
    check_interval_seconds: float = Field(
        300.0, gt=0, description="how often the background loop looks for overdue approvals"
    )

    @model_validator(mode="after")
    def _remind_before_escalating(self) -> ApprovalSettings:
        if self.escalate_after_hours <= self.remind_after_hours:
            raise ValueError(
                "approvals.escalate_after_hours must be greater than "
                "approvals.remind_after_hours (remind first, then escalate)"
            )
        return self
