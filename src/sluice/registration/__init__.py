"""Registration (登记) as the registration measures run it (N4): one reusable workflow of
acceptance, formal review, public notice with objections, a code and a signed certificate."""
