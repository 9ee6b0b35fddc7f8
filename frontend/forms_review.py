"""The reviewer's decision form: a checklist to approve; a reason and words to send back or
reject. Built from the workflow's own checklists and reason catalogue."""

from __future__ import annotations

from typing import Any

from django import forms

from certification import workflow

DECISIONS = [
    ("approve", "Approve this stage"),
    ("changes", "Request changes"),
    ("reject", "Reject"),
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision", choices=DECISIONS, widget=forms.RadioSelect, initial="approve"
    )
    reason_code = forms.ChoiceField(
        label="Reason (for changes or rejection)",
        required=False,
        choices=[("", "Choose a reason…"), *workflow.Reason.choices],
    )
    text = forms.CharField(
        label="Comment for the developer",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when you request changes or reject: say what to fix, in a few words.",
    )

    def __init__(self, *args: Any, stage: str, as_security: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if stage not in workflow.CHECKLISTS:
            # No human sign-off moves this stage on (CI passes on a green build).
            self.fields["decision"].choices = DECISIONS[1:]  # type: ignore[attr-defined]
            self.fields["decision"].initial = "changes"
        self.checklist_keys: list[str] = []
        for item in workflow.checklist_for(stage, as_security=as_security):
            name = f"check_{item.key}"
            self.fields[name] = forms.BooleanField(required=False, label=item.text)
            self.checklist_keys.append(item.key)
        self.order_fields(
            [f"check_{k}" for k in self.checklist_keys] + ["decision", "reason_code", "text"]
        )

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[f"check_{k}"] for k in self.checklist_keys]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("decision", "reason_code", "text")]

    def checklist(self) -> dict[str, bool]:
        return {k: bool(self.cleaned_data.get(f"check_{k}")) for k in self.checklist_keys}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        decision = cleaned.get("decision")
        if decision == "approve":
            for key in self.checklist_keys:
                if not cleaned.get(f"check_{key}"):
                    self.add_error(f"check_{key}", "Tick this to approve, or request changes.")
        elif decision in ("changes", "reject"):
            if not cleaned.get("reason_code"):
                self.add_error("reason_code", "Choose the reason that fits best.")
            if not (cleaned.get("text") or "").strip():
                self.add_error("text", "Tell the developer what is wrong, in a few words.")
        return cleaned


class WaiveForm(forms.Form):
    justification = forms.CharField(
        label="Justification",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this finding is acceptable (kept on record).",
    )
