"""farmgate's model and its use cases. No web, no broker; SQL only in the read-store adapters."""
