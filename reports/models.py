"""The post-incident review (what the account manager writes) and the rendered PDFs.

``PostIncidentReview`` is one per incident: the analysis is the same for every affected
customer. A ``ReportRender`` is one PDF for one customer of the incident (its own number,
language, time zone and components), versioned 1, 2, 3 … per incident × customer; the
newest ``done`` version is the current report.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Customer, Incident


class DataLost(models.TextChoices):
    NO = "no", _("No data was lost")
    YES = "yes", _("Data was lost")
    UNKNOWN = "unknown", _("Not known yet")


class PostIncidentReview(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    management_summary = models.TextField(
        _("management summary"), blank=True,
        help_text=_("For decision makers: plain language, business impact, what was done, what changes now. "
                    "Markdown."),
    )
    root_cause = models.TextField(_("root cause"), blank=True, help_text=_("Markdown."))
    preventive_measures = models.TextField(_("preventive measures"), blank=True, help_text=_("Markdown."))
    lessons_learned = models.TextField(_("lessons learned"), blank=True, help_text=_("Markdown."))
    data_lost = models.CharField(_("data lost"), max_length=8, choices=DataLost, default=DataLost.UNKNOWN)
    sla_credit_percent_per_hour = models.DecimalField(
        _("service credit per hour of downtime (% of the monthly fee)"), max_digits=5, decimal_places=2,
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Only when the contract defines service credits; leave empty otherwise."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("post-incident review")
        verbose_name_plural = _("post-incident reviews")

    def __str__(self) -> str:
        return f"review of {self.incident_id}"


class RemediationAction(models.Model):
    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=500)
    owner = models.CharField(_("owner"), max_length=200)
    due_date = models.DateField(_("due date"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["review", "position", "id"]
        verbose_name = _("remediation action")
        verbose_name_plural = _("remediation actions")

    def __str__(self) -> str:
        return f"{self.description} ({self.owner}, {self.due_date:%Y-%m-%d})"


class RenderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the report worker")
    RENDERING = "rendering", _("Rendering")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


IN_PROGRESS = (RenderStatus.PENDING, RenderStatus.RENDERING)


def render_upload_to(instance: "ReportRender", filename: str) -> str:
    return f"reports/{instance.incident_id}/{filename}"


class ReportRender(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="report_renders")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=RenderStatus, default=RenderStatus.PENDING)
    error = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the PDF, hex.")
    file = models.FileField(upload_to=render_upload_to, blank=True, max_length=300)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "customer", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer", "version"], name="report_render_version_once"),
        ]
        indexes = [models.Index(fields=["incident", "customer", "status", "-version"], name="report_render_current")]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.customer_id} v{self.version} {self.status}"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS


class StoredFile(models.Model):
    """One file of ``reports.storage.DatabaseStorage``: the report PDFs (and any other file Kalm
    stores through the default storage) in PostgreSQL, so every web node reads what any worker
    wrote (docs/deploy.md). PDFs are few and ~100 KB; bytea is shared, transactional and in the
    database's backups, which a second storage service would not be without more operations."""

    name = models.CharField(max_length=300, unique=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.name
