"""The workbench: web pages for dispute staff and province officers under ``/workbench``.

An adapter beside ``graphql/``: every page reads and writes through the served GraphQL schema,
executed in-process with the signed-in viewer's principal (``workbench.gateway``), so a page shows
exactly what that role could read over GraphQL, with the same scope rules, masking and user errors.
"""
