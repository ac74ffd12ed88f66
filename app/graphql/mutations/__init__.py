"""Mutations: each returns a payload with the object and `userErrors`; one transaction each."""
