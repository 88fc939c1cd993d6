"""What is said: the facts a template may use (context), the sandboxed templates and their
rendering, the wording checks, and the e-mails to the MSP's own staff."""
