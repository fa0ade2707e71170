"""`make check-n8n`: the generated n8n artifacts run in the real n8n (opt-in; never in `make test`)."""
