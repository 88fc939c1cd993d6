"""The monthly service report per customer (issue 16): facts, document, renders, mailing."""
