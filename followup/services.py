"""Writes of the follow-up, one transaction each, every change audited (audit.services.record).

Rules are checked before anything is written and raise ``ValidationError`` keyed by field, so a
form shows them next to the field and nothing changes. The messages an escalation sends are
flows' business (flows.followup): this module writes facts only.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action, record, snapshot
from followup.models import (
    ActionStatus,
    Compensation,
    CompensationStatus,
    CreditPolicy,
    CustomerEscalation,
    EscalationStatus,
    RemediationAction,
)
from incidents.models import Customer, Incident
from incidents.selectors import user_is_manager

MAX_AMOUNT = Decimal("9999999999.99")  # what the amount columns hold
ACTION_AHEAD = timedelta(days=3 * 365)  # the latest due date an action may have
ACTION_BACK = timedelta(days=365)  # the earliest (an old review converted late)
CENT = Decimal("0.01")


def _person(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


# --- customer escalations ---------------------------------------------------------------------


@transaction.atomic
def escalation_record(*, incident: Incident, customer: Customer, raised_by: str, channel: str, demand: str,
                      owner: AbstractBaseUser | None, author: AbstractBaseUser | None) -> CustomerEscalation:
    if not incident.customer_links.filter(customer=customer).exists():
        raise ValidationError({"customer": [_("This customer is not affected by the incident.")]})
    escalation = CustomerEscalation(incident=incident, customer=customer, raised_by=raised_by.strip(),
                                    channel=channel, demand=demand.strip(), owner=owner, created_by=_person(author))
    escalation.full_clean()
    escalation.save()
    record(action=Action.CUSTOMER_ESCALATION_RECORDED, actor=_person(author), customer=customer, incident=incident,
           target=escalation, after=snapshot(escalation, ["raised_by", "channel", "demand", "owner"]),
           only_changes=False)
    return escalation


@transaction.atomic
def escalation_close(*, escalation: CustomerEscalation, resolution: str,
                     author: AbstractBaseUser | None) -> CustomerEscalation:
    escalation = CustomerEscalation.objects.select_for_update().get(pk=escalation.pk)
    if not resolution.strip():
        raise ValidationError({"resolution": [_("Say how the escalation was resolved.")]})
    if not escalation.is_open:
        raise ValidationError({"resolution": [_("This escalation is closed already.")]})
    escalation.status, escalation.resolution, escalation.closed_at = (EscalationStatus.CLOSED, resolution.strip(),
                                                                      timezone.now())
    escalation.full_clean()
    escalation.save(update_fields=["status", "resolution", "closed_at"])
    record(action=Action.CUSTOMER_ESCALATION_CLOSED, actor=_person(author), customer=escalation.customer,
           incident=escalation.incident, target=escalation, before={"status": EscalationStatus.OPEN},
           after={"status": escalation.status, "resolution": escalation.resolution})
    return escalation


# --- credit policy and compensation ------------------------------------------------------------

POLICY_FIELDS = ("monthly_fee", "currency", "percent_per_hour", "allowed_downtime_minutes", "cap_percent")


@transaction.atomic
def credit_policy_save(*, customer: Customer, author: AbstractBaseUser | None, **fields: Any) -> CreditPolicy:
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"Not credit policy fields: {', '.join(sorted(unknown))}")
    policy = CreditPolicy.objects.select_for_update().filter(customer=customer).first() or CreditPolicy(
        customer=customer)
    before = snapshot(policy, list(POLICY_FIELDS)) if policy.pk else {}
    for field, value in fields.items():
        setattr(policy, field, value)
    policy.full_clean()
    policy.save()
    record(action=Action.CREDIT_POLICY_CHANGED, actor=_person(author), customer=customer, target=policy,
           before=before, after=snapshot(policy, list(POLICY_FIELDS)))
    return policy


@dataclass(frozen=True)
class CreditProposal:
    downtime: timedelta
    chargeable: timedelta  # beyond the allowed downtime
    percent: Decimal  # of the monthly fee, capped
    amount: Decimal


def credit_proposal(policy: CreditPolicy, downtime: timedelta) -> CreditProposal:
    """``percent_per_hour`` × hours beyond the allowed downtime (to the second), capped, of the monthly fee.

    Rounded to cents half up once, at the end: the percentage is kept exact so the amount
    matches a hand calculation from the contract.
    """
    chargeable = max(downtime - timedelta(minutes=policy.allowed_downtime_minutes), timedelta(0))
    hours = Decimal(int(chargeable.total_seconds())) / Decimal(3600)
    percent = min(hours * policy.percent_per_hour, policy.cap_percent)
    amount = (policy.monthly_fee * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
    return CreditProposal(downtime=downtime, chargeable=chargeable, percent=percent.quantize(CENT), amount=amount)


@transaction.atomic
def compensation_propose(*, incident: Incident, customer: Customer, downtime: timedelta,
                         author: AbstractBaseUser | None) -> Compensation:
    """Propose (or re-propose, while undecided) the credit the contract gives for ``downtime``."""
    if incident.is_drill:
        raise ValidationError({"customer": [_("A drill earns no compensation.")]})
    if not incident.customer_links.filter(customer=customer).exists():
        raise ValidationError({"customer": [_("This customer is not affected by the incident.")]})
    policy = CreditPolicy.objects.filter(customer=customer).first()
    if policy is None:
        raise ValidationError({"customer": [_("%(customer)s has no credit policy: set it on the customer's credit "
                                              "page first.") % {"customer": customer.name}]})
    existing = Compensation.objects.select_for_update().filter(incident=incident, customer=customer).first()
    if existing is not None and existing.is_decided:
        raise ValidationError({"customer": [_("The compensation for %(customer)s has been decided already.")
                                            % {"customer": customer.name}]})
    proposal = credit_proposal(policy, downtime)
    compensation = existing or Compensation(incident=incident, customer=customer)
    compensation.downtime_seconds = int(downtime.total_seconds())
    compensation.proposed_percent, compensation.proposed_amount = proposal.percent, proposal.amount
    compensation.currency = policy.currency
    compensation.full_clean()
    compensation.save()
    record(action=Action.COMPENSATION_PROPOSED, actor=_person(author), customer=customer, incident=incident,
           target=compensation, only_changes=False,
           after={"proposed_amount": str(proposal.amount), "currency": policy.currency,
                  "percent": str(proposal.percent), "downtime_seconds": compensation.downtime_seconds})
    return compensation


DECISIONS = {"approve": CompensationStatus.APPROVED, "adjust": CompensationStatus.ADJUSTED,
             "decline": CompensationStatus.DECLINED}


def may_decide_compensation(user: AbstractBaseUser) -> bool:
    """Managers decide credits (the contract's money); account managers propose them."""
    return user.is_authenticated and user_is_manager(user)


@transaction.atomic
def compensation_decide(*, compensation: Compensation, decision: str, author: AbstractBaseUser,
                        amount: Decimal | None = None, reason: str = "") -> Compensation:
    """Approve (the proposed amount), adjust (another amount, with a reason) or decline (with a reason)."""
    if not may_decide_compensation(author):
        raise PermissionDenied("Only managers decide compensation.")
    compensation = Compensation.objects.select_for_update().get(pk=compensation.pk)
    errors = _decision_errors(compensation, decision, amount, reason)
    if errors:
        raise ValidationError(errors)
    compensation.status = DECISIONS[decision]
    compensation.amount = compensation.proposed_amount if decision == "approve" else (
        amount if decision == "adjust" else None)
    compensation.reason, compensation.decided_by, compensation.decided_at = reason.strip(), author, timezone.now()
    compensation.save(update_fields=["status", "amount", "reason", "decided_by", "decided_at"])
    record(action=Action.COMPENSATION_DECIDED, actor=author, customer=compensation.customer,
           incident=compensation.incident, target=compensation,
           before={"status": CompensationStatus.PROPOSED, "proposed_amount": str(compensation.proposed_amount)},
           after={"status": compensation.status, "amount": str(compensation.amount) if compensation.amount is not None
                  else None, "currency": compensation.currency, "reason": compensation.reason}, only_changes=False)
    return compensation


def _decision_errors(compensation: Compensation, decision: str, amount: Decimal | None,
                     reason: str) -> dict[str, list[str]]:
    if decision not in DECISIONS:
        return {"decision": [_("Choose approve, adjust or decline.")]}
    if compensation.is_decided:
        return {"decision": [_("This compensation has been decided already.")]}
    errors: dict[str, list[str]] = {}
    if decision == "adjust":
        if amount is None:
            errors["amount"] = [_("Give the adjusted amount.")]
        elif not Decimal(0) <= amount <= MAX_AMOUNT or amount != amount.quantize(CENT):
            errors["amount"] = [_("Give an amount of at least 0 with at most two decimals.")]
    if decision in ("adjust", "decline") and not reason.strip():
        errors["reason"] = [_("Give the reason for the decision.")]
    return errors


# --- remediation actions ----------------------------------------------------------------------


def due_at_for(day: date, customer: Customer) -> datetime:
    """A due date means the end of that day where the customer is (the next midnight, local)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=customer.tzinfo)


def _due_errors(due_at: datetime, now: datetime, *, field: str = "due_at") -> dict[str, list[str]]:
    if not now - ACTION_BACK <= due_at <= now + ACTION_AHEAD:
        return {field: [_("Choose a due date within the next three years.")]}
    return {}


def owner_named(text: str) -> AbstractBaseUser | None:
    """The active staff user the review's free-text owner names (username, e-mail or full name), if exactly one."""
    text = text.strip()
    if not text:
        return None
    users = get_user_model().objects.filter(is_active=True, is_staff=True).annotate(
        full=Concat("first_name", Value(" "), "last_name"))
    found = list(users.filter(Q(username__iexact=text) | Q(email__iexact=text) | Q(full__iexact=text))[:2])
    return found[0] if len(found) == 1 else None


@transaction.atomic
def action_create(*, customer: Customer, incident: Incident | None, title: str, owner: AbstractBaseUser | None,
                  due_at: datetime, author: AbstractBaseUser | None) -> RemediationAction:
    errors = _due_errors(due_at, timezone.now())
    if incident is not None and not incident.customer_links.filter(customer=customer).exists():
        errors["customer"] = [_("This customer is not affected by the incident.")]
    if errors:
        raise ValidationError(errors)
    action = RemediationAction(customer=customer, incident=incident, title=title.strip(), owner=owner,
                               due_at=due_at)
    action.full_clean()
    action.save()
    record(action=Action.REMEDIATION_CREATED, actor=_person(author), customer=customer, incident=incident,
           target=action, after=snapshot(action, ["title", "owner", "due_at"]), only_changes=False)
    return action


@transaction.atomic
def action_close(*, action: RemediationAction, evidence: str, author: AbstractBaseUser | None,
                 status: str = ActionStatus.DONE) -> RemediationAction:
    """Done (or cancelled) with evidence: what was done, where it can be checked."""
    action = RemediationAction.objects.select_for_update().get(pk=action.pk)
    errors: dict[str, list[str]] = {}
    if status not in (ActionStatus.DONE, ActionStatus.CANCELLED):
        errors["status"] = [_("Close an action as done or cancelled.")]
    if not evidence.strip():
        errors["evidence"] = [_("Say what was done and where it can be checked.")]
    if not action.is_open:
        errors["evidence"] = [_("This action is closed already.")]
    if errors:
        raise ValidationError(errors)
    action.status, action.evidence = status, evidence.strip()
    action.closed_at, action.closed_by = timezone.now(), _person(author)
    action.full_clean()
    action.save(update_fields=["status", "evidence", "closed_at", "closed_by"])
    record(action=Action.REMEDIATION_CLOSED, actor=_person(author), customer=action.customer,
           incident=action.incident, target=action, before={"status": ActionStatus.OPEN},
           after={"status": action.status, "evidence": action.evidence})
    return action


@dataclass(frozen=True)
class ReviewLine:
    """One action line of the post-incident review (reports.services.ActionLine, as followup sees it)."""

    description: str
    owner: str
    due_date: date


def actions_sync_from_review(*, incident: Incident, lines: Iterable[ReviewLine],
                             author: AbstractBaseUser | None) -> list[RemediationAction]:
    """Keep the review's actions as tracked items for every customer of the incident (in the caller's transaction).

    A line matches the customer's earlier row of the same action text: its owner and due date
    follow the review while it is open; a closed one keeps its evidence. A new line becomes a
    new open action. A line removed from the review cancels its open action (the row stays,
    with why). Nothing that was tracked is deleted.
    """
    lines = list(lines)
    now = timezone.now()
    result: list[RemediationAction] = []
    for link in incident.customer_links.select_related("customer"):
        customer = link.customer
        existing = {action.title: action for action in RemediationAction.objects.select_for_update().filter(
            incident=incident, customer=customer, from_review=True)}
        for line in lines:
            due_at = due_at_for(line.due_date, customer)
            action = existing.pop(line.description, None)
            if action is None:
                action = RemediationAction.objects.create(
                    customer=customer, incident=incident, title=line.description, owner=owner_named(line.owner),
                    owner_name=line.owner, due_at=due_at, from_review=True)
                record(action=Action.REMEDIATION_CREATED, actor=_person(author), customer=customer, incident=incident,
                       target=action, after={"title": action.title, "owner": line.owner,
                                             "due_at": due_at.isoformat()}, only_changes=False)
            elif action.is_open and (action.owner_name, action.due_at) != (line.owner, due_at):
                action.owner_name, action.owner, action.due_at = line.owner, owner_named(line.owner), due_at
                action.save(update_fields=["owner_name", "owner", "due_at"])
            result.append(action)
        for gone in existing.values():
            if gone.is_open:
                gone.status, gone.closed_at = ActionStatus.CANCELLED, now
                gone.evidence = _("Removed from the post-incident review.")
                gone.save(update_fields=["status", "closed_at", "evidence"])
    return result
