"""The monthly service report per customer (issue 16): the rendered PDFs and each customer's setting.

A ``ServiceReport`` is one PDF for one customer and month (the first day of the month in
the customer's time zone), rendered by the worker on the "reports" queue like the incident
report, and stored the same way: a ``FileField`` on the default storage (see
``reports.models.ReportRender``), so switching storage once switches both. A re-render
replaces the file of the same row; ``sent_at`` is set once, by the call that wrote the
e-mail, so a second tick or a redelivered task never mails it twice.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from comms.models import Communication
from incidents.models import Customer, Language


class ServiceReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the report worker")
    RENDERING = "rendering", _("Rendering")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ServiceReportDelivery(models.TextChoices):
    LINK = "link", _("A signed link that expires")
    ATTACHMENT = "attachment", _("The PDF attached")


def service_report_upload_to(instance: "ServiceReport", filename: str) -> str:
    return f"service-reports/{instance.customer_id}/{filename}"


class ServiceReport(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="service_reports")
    month = models.DateField(help_text="The first day of the month, in the customer's time zone.")
    language = models.CharField(max_length=2, choices=Language)
    status = models.CharField(max_length=16, choices=ServiceReportStatus, default=ServiceReportStatus.PENDING)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to=service_report_upload_to, blank=True, max_length=300)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the PDF, hex.")
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    send = models.BooleanField(default=False, help_text="Mail it to the management stakeholders once rendered.")
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)  # the last (re-)render asked for
    started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # How the e-mail carried it, decided when it was written (the text says "attached" or shows the link).
    delivered_as = models.CharField(max_length=16, choices=ServiceReportDelivery, blank=True)
    # The messages that carried it (one per recipients' language): the attachment provider finds the PDF here.
    communications = models.ManyToManyField(Communication, blank=True, related_name="+")

    class Meta:
        ordering = ["-month", "customer"]
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="service_report_once")]
        verbose_name = _("monthly service report")
        verbose_name_plural = _("monthly service reports")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.status}"

    @property
    def in_progress(self) -> bool:
        return self.status in (ServiceReportStatus.PENDING, ServiceReportStatus.RENDERING)

    @property
    def filename(self) -> str:
        return f"{self.customer.slug}-{self.month:%Y-%m}.pdf"


class ServiceReportSetting(models.Model):
    """A customer's choice; a customer without a row gets the defaults (enabled, a link)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="service_report_setting")
    enabled = models.BooleanField(_("send the monthly service report"), default=True,
                                  help_text=_("On the 1st, for the month before, to the management stakeholders."))
    delivery = models.CharField(_("the report in the e-mail"), max_length=16, choices=ServiceReportDelivery,
                                default=ServiceReportDelivery.LINK)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("monthly service report setting")
        verbose_name_plural = _("monthly service report settings")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.delivery}{'' if self.enabled else ' (off)'}"
