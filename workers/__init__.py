"""dramatiq actors and the periodic scheduler: deadlines, webhooks, bulk imports."""
