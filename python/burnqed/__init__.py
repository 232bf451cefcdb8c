"""burn-qed v2 Python jobs.

Every job is a module run as ``python -m burnqed.<job> --config <file.json>``; it reports on stdout
with the JSON-lines event protocol of :mod:`burnqed.events` and logs on stderr.
"""
