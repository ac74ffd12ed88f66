"""The data layer: tables, engine and sessions, and the only module tree that speaks SQL."""
