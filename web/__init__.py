"""The policyholder web site: login, caller-ID verification page, My Page, ops endpoints."""
