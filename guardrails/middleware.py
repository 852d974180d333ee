from .actions import counting_warnings


class GuardrailCountMiddleware:
    """Counts the guardrail warnings of a request once its transactions are over
    (guardrails.actions.counting_warnings): a warning rolls back the sender's transaction."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with counting_warnings():
            return self.get_response(request)
