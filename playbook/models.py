"""The response playbook (seed 001, "Incident Response Team" and the per-phase checklists):
who holds which role on an incident, who is on standby, and what each phase asks to be done.

Nothing here sends: assignments and reminders are mailed by ``playbook.notices`` (after
commit), escalations and reminders come from the cadence tick (``cadence.role_jobs``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Category, Customer, Incident, Severity


class RoleCode(models.TextChoices):
    """The five roles of seed 001's "Zusammensetzung und Rollen", in the order the console lists them."""

    INCIDENT_LEAD = "incident_lead", _("Incident lead")
    COMMUNICATIONS_LEAD = "communications_lead", _("Communications lead")
    TECHNICAL_LEAD = "technical_lead", _("Technical lead")
    SCRIBE = "scribe", _("Scribe")
    CUSTOMER_CONTACT = "customer_contact", _("Customer contact")


class Phase(models.TextChoices):
    """Seed 001's problem-solving workflow and business continuity, in the order they are worked."""

    CLASSIFICATION = "classification", _("Classification and first assessment")
    CONTAINMENT = "containment", _("Containment")
    DIAGNOSIS = "diagnosis", _("Diagnosis and root cause")
    SOLUTION = "solution", _("Solution and validation")
    CONTINUITY = "continuity", _("Business continuity")
    RESOLUTION = "resolution", _("Resolution")
    POST_INCIDENT = "post_incident", _("Post-incident")


# Phases whose due times count from the resolution rather than from the detection: their
# items have no due time (and raise no reminder) while the incident is open.
AFTER_RESOLUTION = (Phase.RESOLUTION, Phase.POST_INCIDENT)


class RoleAssignment(models.Model):
    """One role on one incident, held by one person. Reassigning replaces the holder (and
    starts acknowledgment and escalation afresh: ``assigned_at`` is the tick's anchor)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=RoleCode)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="incident_roles",
                             verbose_name=_("person"))
    # Empty when Kalm proposed the person from the standby rota.
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(_("assigned at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "role"], name="playbook_role_once")]
        indexes = [models.Index(fields=["acknowledged_at", "assigned_at"], name="playbook_role_unacked")]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.role}: {self.user_id}"


class RotaShift(models.Model):
    """Who is on standby for a customer (or, without one, for every customer) in a time window.

    An override wins over the regular shifts covering the same moment (a swap, a sick day).
    """

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="rota_shifts", verbose_name=_("customer"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_shifts",
                             verbose_name=_("on duty"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    is_override = models.BooleanField(_("override"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="playbook_shift_window")]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="playbook_shift_ends_after_start")]
        verbose_name = _("standby shift")
        verbose_name_plural = _("standby shifts")

    def __str__(self) -> str:
        return f"{self.user_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


class ChecklistTemplate(models.Model):
    """One checklist item as shipped (seed 001) or edited by a manager, for a phase and, when set,
    only one category and/or severity. Its text is kept in every console language."""

    key = models.SlugField(_("key"), max_length=80, unique=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase)
    category = models.CharField(_("only for category"), max_length=16, choices=Category, blank=True)
    severity = models.CharField(_("only for severity"), max_length=16, choices=Severity, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    owner_role = models.CharField(_("owner"), max_length=32, choices=RoleCode, default=RoleCode.INCIDENT_LEAD)
    due_minutes = models.PositiveIntegerField(
        _("due after (minutes)"), default=30,
        help_text=_("Counted from the detection; for resolution and post-incident items from the resolution."))
    text_en = models.CharField(_("text (English)"), max_length=300)
    text_nl = models.CharField(_("text (Dutch)"), max_length=300)
    text_de = models.CharField(_("text (German)"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["phase", "position", "id"]
        verbose_name = _("checklist item template")
        verbose_name_plural = _("checklist item templates")

    def __str__(self) -> str:
        return self.text_en


class ChecklistItem(models.Model):
    """One item on one incident's checklist, copied from its template when the checklist started
    (a later edit of the template changes new incidents, not this one)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checklist_items")
    template = models.ForeignKey(ChecklistTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    phase = models.CharField(_("phase"), max_length=16, choices=Phase)
    position = models.PositiveIntegerField(default=0)
    texts = models.JSONField(default=dict)  # {"en": …, "nl": …, "de": …}
    owner_role = models.CharField(_("owner"), max_length=32, choices=RoleCode)
    due_minutes = models.PositiveIntegerField(default=30)
    # Set when the checklist starts for detection-anchored phases; None for AFTER_RESOLUTION
    # (those count from ``incident.resolved_at``, see ``playbook.selectors.item_due_at``).
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["incident", "position", "id"]
        indexes = [models.Index(fields=["done_at", "due_at"], name="playbook_item_open_due")]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text("en")

    def text(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get("en") or next(iter(self.texts.values()), "")
