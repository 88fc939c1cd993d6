"""Development mail viewer: with no EMAIL_HOST, e-mail is written to files under var/mail;
this page shows the newest of them so a newcomer can read what Kalm sent. DEBUG only, and
scoped like every console page: an account manager reads the mail to their customers'
stakeholders and to themselves (``console.mailbox.readable_by``), a manager all of it."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.access import staff_required
from console.mailbox import mail_directory, newest_messages, readable_by


@require_GET
@staff_required
def mailbox(request: HttpRequest) -> HttpResponse:
    directory = mail_directory()
    if not settings.DEBUG or directory is None:
        raise Http404("The mail viewer exists only in debug mode with file-based e-mail.")
    sent_mail = newest_messages(directory, readable_by(request.user)) if directory.exists() else []
    return render(request, "comms/mailbox.html", {"sent_mail": sent_mail, "directory": directory})
